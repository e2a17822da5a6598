// Clustering on compaction: the blocks of a sealed raw partition are
// rewritten with each run of `cluster_group_blocks` consecutive blocks
// reordered by one address field (orig_h by default), so that what one host
// did sits in a few frames instead of one frame per event
// (docs/timemachine.md, "Clustering"). Records move as stored bytes: they
// are never decoded into events, only opened as views for the fields the
// new blocks' summaries and block-level index keys need.
#include <algorithm>
#include <cstring>

#include "block/endian.h"
#include "block/record.h"
#include "coop/model/codec.h"
#include "index/bloom.h"
#include "index/hash.h"
#include "index/radix.h"
#include "partition/extent.h"
#include "partition/partition.h"

namespace coop::tm::detail {

namespace {

constexpr std::size_t none = static_cast<std::size_t>(-1);

// What clustering needs of one stored schema: where its cluster field and
// its port-bearing fields are.
struct type_fields {
  std::string name;
  std::uint32_t version = 0;
  std::string type_key;                 // the index key of the type
  std::size_t cluster = none;           // the address field clustered on
  std::vector<std::size_t> ports;       // scalar port fields
  std::vector<std::size_t> containers;  // set and vector fields (may hold ports)
};

// One record of the group being reordered.
struct moved {
  // The sort key: the address as two big-endian halves; records without
  // one (`unset`) sort after every address.
  bool unset = true;
  std::uint64_t hi = 0, lo = 0;
  std::uint64_t row = 0;                // place in the source: rows before it
  std::size_t begin = 0, size = 0;      // the record's bytes in the group's buffer
  std::int64_t ts = 0;
  std::uint64_t uid_hash = 0;
  bool has_uid = false;
  std::uint32_t type = 0;               // index into the schema table
  std::uint32_t ports_begin = 0, ports_end = 0;  // into the group's port codes
};

std::uint32_t port_code(const model::port& p) {
  return std::uint32_t{static_cast<std::uint8_t>(p.proto)} << 16 | p.number;
}

// Port codes of a container value, as index_keys finds them (elements of
// sets and vectors, recursively).
void container_ports(const model::value& v, std::vector<std::uint32_t>& out) {
  if (const auto* p = v.get_if<model::port>()) {
    out.push_back(port_code(*p));
  } else if (const auto* set = v.get_if<model::set_value>()) {
    for (const auto& el : set->elements) container_ports(el, out);
  } else if (const auto* vec = v.get_if<model::vector_value>()) {
    for (const auto& el : vec->elements) container_ports(el, out);
  }
}

std::string port_key(std::uint32_t code) {
  std::string k(1, 'p');
  k.push_back(static_cast<char>(code >> 16));
  k.push_back(static_cast<char>((code >> 8) & 0xff));
  k.push_back(static_cast<char>(code & 0xff));
  return k;
}

}  // namespace

model::result<std::uint32_t> partition::cluster_into(
    const partition& src, const lmdb::txn& rt, partition& np, lmdb::txn& wt,
    std::string_view field, int level, record_moves& moved_to,
    std::map<std::string, std::vector<std::uint32_t>>& block_keys) {
  const std::string where = src.dir().string();
  auto schemas = src.schemas();
  if (!schemas) return schemas.err();
  std::vector<type_fields> types;
  for (const auto& s : *schemas) {
    type_fields t;
    t.name = s.name();
    t.version = s.version();
    t.type_key = type_key(s.name());
    const auto& fields = s.fields();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const model::type_kind k = fields[i].ty.kind();
      if (k == model::type_kind::port) t.ports.push_back(i);
      if (k == model::type_kind::set || k == model::type_kind::vector) t.containers.push_back(i);
      if (k == model::type_kind::address && fields[i].name == field) t.cluster = i;
    }
    types.push_back(std::move(t));
  }
  auto dict = src.dictionary();
  if (!dict) {
    return model::error{model::errc::invalid_argument,
                        where + ": no dictionary (only blocks of several frames are clustered)"};
  }
  if (dict->level() != level) {
    auto d = block_dictionary::make(dict->bytes(), level);
    if (!d) return d.err();
    dict = std::move(d.value());
  }
  const partition_meta sm = src.meta();
  moved_to.moved.assign(sm.rows, ~std::uint32_t{0});
  moved_to.first_row.assign(std::size_t{sm.blocks} + 1, 0);

  auto bc = lmdb::cursor::open(rt, src.blocks_);
  if (!bc) return bc.err();
  auto sc = lmdb::cursor::open(rt, src.bsum_);
  if (!sc) return sc.err();
  auto out_blocks = lmdb::cursor::open(wt, np.blocks_);
  if (!out_blocks) return out_blocks.err();
  auto out_sums = lmdb::cursor::open(wt, np.bsum_);
  if (!out_sums) return out_sums.err();

  block_codec codec;
  std::string buffer;        // the group's records, back to back
  std::string raw;           // one decompressed block
  std::vector<moved> group;
  std::vector<std::uint32_t> ports;
  std::string uid;
  std::uint32_t next_src = 0;  // the next source block to read
  std::uint32_t written = 0;   // blocks written to np
  std::uint32_t block_records = 0;  // most records a source block held
  std::uint64_t batch = 0;     // newest batch among the group's blocks
  std::vector<std::string> sealed;  // the extent being filled
  std::string extent, sum, payload;
  block_key_set seen;
  // The blocks of every type (by index into `types`), and (port code <<
  // 32 | block) for every port of every block, sorted at the end.
  std::vector<std::vector<std::uint32_t>> type_blocks(types.size());
  std::vector<std::uint64_t> port_blocks;
  std::vector<std::string_view> members;

  auto flush_extent = [&]() -> model::result<void> {
    if (sealed.empty()) return {};
    members.assign(sealed.begin(), sealed.end());
    extent.clear();
    if (auto r = write_extent(extent, members); !r) return r;
    std::string key;
    put_be32(key, written - static_cast<std::uint32_t>(sealed.size()));
    sealed.clear();
    return out_blocks->put(key, extent, MDB_APPEND);
  };

  // Sorts the group and writes it as blocks of `block_records`.
  auto write_group = [&]() -> model::result<void> {
    std::stable_sort(group.begin(), group.end(), [](const moved& a, const moved& b) {
      if (a.unset != b.unset) return b.unset;
      if (a.hi != b.hi) return a.hi < b.hi;
      return a.lo < b.lo;
    });
    const std::uint32_t per = std::max<std::uint32_t>(block_records, 1);
    for (std::size_t i = 0; i < group.size(); i += per) {
      const std::size_t end = std::min(group.size(), i + per);
      const std::uint32_t n = written;
      payload.clear();
      seen.clear();
      std::int64_t lo = std::numeric_limits<std::int64_t>::max();
      std::int64_t hi = std::numeric_limits<std::int64_t>::min();
      std::size_t uids = 0;
      for (std::size_t j = i; j < end; ++j) {
        const moved& r = group[j];
        payload.append(buffer, r.begin, r.size);
        lo = std::min(lo, r.ts);
        hi = std::max(hi, r.ts);
        uids += r.has_uid ? 1 : 0;
        moved_to.moved[r.row] = n << 8 | static_cast<std::uint32_t>(j - i);
        if (type_blocks[r.type].empty() || type_blocks[r.type].back() != n) {
          type_blocks[r.type].push_back(n);
        }
        for (std::uint32_t p = r.ports_begin; p < r.ports_end; ++p) {
          if (seen.first_port(ports[p])) port_blocks.push_back(std::uint64_t{ports[p]} << 32 | n);
        }
      }
      const auto records = static_cast<std::uint32_t>(end - i);
      sealed.push_back(codec.seal(payload, records, lo, hi, dict->level(), dict.get()));
      sum.clear();
      put_le64(sum, static_cast<std::uint64_t>(lo));
      put_le64(sum, static_cast<std::uint64_t>(hi));
      put_le32(sum, records);
      put_le32(sum, static_cast<std::uint32_t>(sealed.back().size()));
      put_le64(sum, batch);
      bloom ub = bloom::sized_for(uids, std::size_t{1} << 16);
      for (std::size_t j = i; j < end; ++j) {
        if (group[j].has_uid) ub.add(group[j].uid_hash);
      }
      ub.write(sum);
      std::string key;
      put_be32(key, n);
      if (auto r = out_sums->put(key, sum, MDB_APPEND); !r) return r;
      ++written;
      if (sealed.size() == default_extent_blocks) {
        if (auto r = flush_extent(); !r) return r;
      }
    }
    group.clear();
    ports.clear();
    buffer.clear();
    batch = 0;
    return {};
  };

  std::string_view k, v;
  for (auto more = bc->move(MDB_FIRST, &k, &v);; more = bc->move(MDB_NEXT, &k, &v)) {
    if (!more) return more.err();
    if (!*more) break;
    if (next_src >= sm.blocks) {
      return model::error{model::errc::corruption, where + ": more blocks than its meta says (" +
                                                       std::to_string(sm.blocks) + ")"};
    }
    if (k.size() != 4 || get_be32(k, 0) != next_src) {
      return model::error{model::errc::corruption,
                          where + ": block #" + std::to_string(next_src) + " is missing"};
    }
    const std::uint32_t b = next_src++;
    const std::string at = where + " block #" + std::to_string(b);
    if (auto r = codec.open(v, at, dict.get(), raw); !r) return r.err();
    std::string_view sk, sv;
    auto s = sc->move(MDB_SET_KEY, &sk, &sv, k);
    if (!s) return s.err();
    if (!*s || sv.size() < 32) {
      return model::error{model::errc::corruption, at + ": its summary is missing or damaged"};
    }
    batch = std::max(batch, get_le64(sv, 24));
    std::size_t pos = 0;
    stored_record rec;
    std::uint32_t record = 0;
    while (pos < raw.size()) {
      const std::size_t start = pos;
      if (const char* why = next_record(raw, pos, rec)) {
        return model::error{model::errc::corruption,
                            at + ": record " + std::to_string(record) + ": " + why};
      }
      if (record >= max_block_records) {
        return model::error{model::errc::corruption, at + ": more than 256 records"};
      }
      auto view = model::event_view::open(
          std::span(reinterpret_cast<const std::byte*>(rec.message.data()), rec.message.size()));
      if (!view) {
        return model::error{model::errc::corruption, at + ": record " + std::to_string(record) +
                                                         ": " + view.err().message};
      }
      moved m;
      m.row = moved_to.first_row[b] + record;
      if (m.row >= moved_to.moved.size()) {
        return model::error{model::errc::corruption,
                            at + ": more records than the partition's meta says (" +
                                std::to_string(sm.rows) + ")"};
      }
      m.ts = view->ts().ns;
      auto t = std::find_if(types.begin(), types.end(), [&](const type_fields& f) {
        return f.version == view->version() && f.name == view->type_name();
      });
      if (t == types.end()) {
        return model::error{model::errc::corruption,
                            at + ": record " + std::to_string(record) + ": type '" +
                                std::string(view->type_name()) + "' version " +
                                std::to_string(view->version()) + " is not stored"};
      }
      m.type = static_cast<std::uint32_t>(t - types.begin());
      if (t->cluster != none && t->cluster < view->size()) {
        if (auto a = view->address_at(t->cluster)) {
          const std::string_view bytes(reinterpret_cast<const char*>(a->bytes().data()), 16);
          m.unset = false;
          m.hi = get_be64(bytes, 0);
          m.lo = get_be64(bytes, 8);
        }
      }
      if (packed_record_uid(rec, uid)) {
        m.has_uid = true;
      } else if (!view->uid().empty()) {
        uid.assign(view->uid());
        m.has_uid = true;
      }
      if (m.has_uid) m.uid_hash = stable_hash(uid);
      m.ports_begin = static_cast<std::uint32_t>(ports.size());
      for (auto i : t->ports) {
        if (i >= view->size()) continue;
        if (auto p = view->port_at(i)) ports.push_back(port_code(*p));
      }
      for (auto i : t->containers) {
        if (i >= view->size()) continue;
        if (auto val = view->field(i)) container_ports(*val, ports);
      }
      m.ports_end = static_cast<std::uint32_t>(ports.size());
      m.begin = static_cast<std::uint32_t>(buffer.size());
      m.size = static_cast<std::uint32_t>(pos - start);
      buffer.append(raw, start, pos - start);
      group.push_back(m);
      ++record;
    }
    block_records = std::max(block_records, record);
    moved_to.first_row[b + 1] = moved_to.first_row[b] + record;
    if (next_src % cluster_group_blocks == 0) {
      if (auto r = write_group(); !r) return r.err();
    }
  }
  if (next_src != sm.blocks || moved_to.first_row[sm.blocks] != sm.rows) {
    return model::error{model::errc::corruption,
                        where + ": " + std::to_string(next_src) + " blocks of " +
                            std::to_string(moved_to.first_row[next_src]) +
                            " records, its meta says " + std::to_string(sm.blocks) + " of " +
                            std::to_string(sm.rows)};
  }
  if (auto r = write_group(); !r) return r.err();
  if (auto r = flush_extent(); !r) return r.err();
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (type_blocks[i].empty()) continue;
    auto& posts = block_keys[types[i].type_key];  // versions of one type share the key
    posts.insert(posts.end(), type_blocks[i].begin(), type_blocks[i].end());
    std::sort(posts.begin(), posts.end());
    posts.erase(std::unique(posts.begin(), posts.end()), posts.end());
  }
  {
    std::vector<std::uint64_t> scratch;
    radix_sort(port_blocks, scratch);
  }
  for (std::size_t i = 0; i < port_blocks.size();) {
    const auto code = static_cast<std::uint32_t>(port_blocks[i] >> 32);
    auto& posts = block_keys[port_key(code)];
    for (; i < port_blocks.size() && port_blocks[i] >> 32 == code; ++i) {
      const auto n = static_cast<std::uint32_t>(port_blocks[i]);
      if (posts.empty() || posts.back() != n) posts.push_back(n);
    }
  }
  return written;
}

}  // namespace coop::tm::detail
