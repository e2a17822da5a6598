#include "query/plan.h"

#include <algorithm>
#include <map>

#include "block/block.h"
#include "index/keys.h"
#include "store/store_impl.h"

namespace coop::tm::detail {

namespace {

std::string tier_key(const partition_meta& m) {
  return m.tier == "raw" ? std::string("raw") : m.class_name + "/" + m.tier;
}

// Compiles the spec's filter for one resolution.
tier_filter compile_for(const std::string& key, resolution res,
                        std::shared_ptr<const model::registry> types, const std::string& text) {
  tier_filter tf;
  tf.key = key;
  tf.res = std::move(res);
  tf.types = std::move(types);
  auto f = model::filter::compile(text.empty() ? std::string_view("T") : text, *tf.types);
  if (f) {
    tf.match = std::move(f.value());
    tf.usable = true;
  } else {
    tf.why = f.err().message;
  }
  return tf;
}

}  // namespace

model::result<plan> make_plan(const store_impl& s, const query_spec& q) {
  plan p;
  p.now = s.now();
  p.range = q.range;
  // The raw resolution: its compile errors are the caller's errors.
  {
    auto raw = compile_for("raw", resolution{}, s.types_snapshot(), q.filter);
    if (!raw.usable) {
      return model::error{model::errc::invalid_argument, raw.why};
    }
    p.tiers.push_back(std::move(raw));
  }
  // Resolutions by tier key; an aggregate tier has one entry per set of
  // row schemas found among its partitions: rows keep their source type's
  // name and version, so a tier whose keys or sums were changed by new
  // rules writes rows of another layout under the same type, and each
  // partition must be read with its own schemas.
  std::map<std::string, std::vector<std::size_t>> tier_index{{"raw", {0}}};
  std::map<std::size_t, std::vector<model::schema>> tier_schemas;  // of aggregate resolutions
  struct narrowing {
    std::optional<std::vector<key_probe>> probes;
    std::optional<std::vector<key_probe>> types;
  };
  std::vector<narrowing> narrow;
  auto narrow_for = [&](const tier_filter& tf) {
    narrowing n;
    auto hints = tf.match.hints(p.now);
    n.probes = probes_for(hints, s.index);
    // Type postings narrow block-level answers; record postings are
    // narrower already (and a type key posts every block of its type).
    auto matchable = tf.match.event_types();
    if (!(n.probes && record_level(*n.probes)) && matchable.size() < tf.types->newest().size()) {
      std::vector<key_probe> tp;
      for (const auto& name : matchable) tp.push_back(key_probe{type_key(name), {}, {}});
      n.types = std::move(tp);
    }
    if (hints.ts_min && hints.ts_min->ns > p.range.from.ns) p.range.from = *hints.ts_min;
    if (hints.ts_max && hints.ts_max->ns < p.range.to.ns - 1) p.range.to.ns = hints.ts_max->ns + 1;
    return n;
  };
  narrow.push_back(narrow_for(p.tiers[0]));

  for (const auto& part : s.snapshot()) {
    auto m = part->meta();
    if (m.rows == 0) continue;
    if (m.max_ts < p.range.from.ns || m.min_ts >= p.range.to.ns) continue;
    if (m.tier != "raw" && !q.include_aggregates) continue;
    ++p.estimate.partitions;
    std::string key = tier_key(m);
    std::size_t chosen = 0;
    if (m.tier != "raw") {
      auto schemas = part->schemas();
      if (!schemas) {
        p.warnings.push_back(schemas.err().message);
        continue;
      }
      // A resolution of this tier read with exactly these schemas (a
      // partition lists them in key order).
      auto& candidates = tier_index[key];
      auto it = std::find_if(candidates.begin(), candidates.end(),
                             [&](std::size_t i) { return tier_schemas[i] == *schemas; });
      if (it != candidates.end()) {
        chosen = *it;
      } else {
        auto reg = std::make_shared<model::registry>();
        for (const auto& sc : *schemas) (void)reg->add(sc);
        tier_schemas[p.tiers.size()] = std::move(schemas.value());
        auto tf =
            compile_for(key, resolution{m.tier, model::interval{m.bucket_ns}}, reg, q.filter);
        if (!tf.usable) {
          p.warnings.push_back("resolution " + m.tier + " of class " + m.class_name +
                               " cannot answer this filter: " + tf.why);
        }
        chosen = p.tiers.size();
        candidates.push_back(chosen);
        p.tiers.push_back(std::move(tf));
        narrow.push_back(p.tiers.back().usable ? narrow_for(p.tiers.back()) : narrowing{});
      }
    }
    const tier_filter& tf = p.tiers[chosen];
    if (!tf.usable) {
      ++p.estimate.partitions_skipped;
      continue;
    }
    const narrowing& n = narrow[chosen];
    if (n.probes && !part->may_contain(*n.probes)) {
      ++p.estimate.partitions_skipped;
      continue;
    }
    // Blocks that may hold a match, and (when the filter's probes all post
    // records) the records within them.
    std::optional<std::vector<std::uint32_t>> allowed;
    std::optional<std::vector<std::uint32_t>> records;
    for (const auto* probes : {&n.probes, &n.types}) {
      if (!*probes) continue;
      auto found = part->lookup(**probes);
      if (!found && found.err().code == model::errc::corruption) {
        // A damaged index (chunk) of this partition: its blocks are read
        // without it (the filter still decides), and the answer says so.
        p.warnings.push_back(found.err().message + " (partition read without its index)");
        allowed.reset();
        records.reset();
        break;
      }
      if (!found) return found.err();
      p.estimate.uses_index = true;
      if (found->records) {
        records = std::move(found->values);
        continue;
      }
      if (!allowed) {
        allowed = std::move(found->values);
      } else {
        std::vector<std::uint32_t> both;
        std::set_intersection(allowed->begin(), allowed->end(), found->values.begin(),
                              found->values.end(), std::back_inserter(both));
        allowed = std::move(both);
      }
    }
    if (records) {
      std::vector<std::uint32_t> blocks;
      for (auto v : *records) {
        if (blocks.empty() || blocks.back() != v >> 8) blocks.push_back(v >> 8);
      }
      if (allowed) {
        std::vector<std::uint32_t> both;
        std::set_intersection(allowed->begin(), allowed->end(), blocks.begin(), blocks.end(),
                              std::back_inserter(both));
        blocks = std::move(both);
      }
      allowed = std::move(blocks);
    }
    if (allowed && allowed->empty()) {
      ++p.estimate.partitions_skipped;
      continue;
    }
    auto sums = part->summaries(&p.warnings, allowed ? &*allowed : nullptr);
    if (!sums) {
      p.warnings.push_back(sums.err().message);
      continue;
    }
    bool any = false;
    for (const auto& b : *sums) {
      if (b.max_ts < p.range.from.ns || b.min_ts >= p.range.to.ns) continue;
      if (allowed && !std::binary_search(allowed->begin(), allowed->end(), b.number)) continue;
      candidate cand{part, b.number, b.min_ts, b.max_ts, b.records, b.stored_bytes, chosen, {}};
      if (records) {
        // The block's postings: [b << 8, (b + 1) << 8). Postings past the
        // block's end (left by a rolled-back commit) are ignored.
        auto first = std::lower_bound(records->begin(), records->end(), b.number << 8);
        for (auto it = first; it != records->end() && (*it >> 8) == b.number; ++it) {
          if ((*it & 0xff) < b.records) cand.wanted.push_back(static_cast<std::uint8_t>(*it & 0xff));
        }
        if (cand.wanted.empty()) continue;
      }
      p.estimate.events_scanned += records ? cand.wanted.size() : b.records;
      if (records) {
        // Only the frames holding wanted records are read (an estimate:
        // frames are taken as equal in size).
        std::uint64_t frames = (b.records + default_frame_records - 1) / default_frame_records;
        std::uint64_t needed = 0;
        for (std::size_t i = 0; i < cand.wanted.size(); ++i) {
          if (i == 0 || cand.wanted[i] / default_frame_records !=
                            cand.wanted[i - 1] / default_frame_records) {
            ++needed;
          }
        }
        p.estimate.bytes_read += frames == 0 ? 0 : b.stored_bytes * needed / frames;
      } else {
        p.estimate.bytes_read += b.stored_bytes;
      }
      p.blocks.push_back(std::move(cand));
      any = true;
    }
    if (!any) ++p.estimate.partitions_skipped;
    if (any && std::find(p.estimate.tiers.begin(), p.estimate.tiers.end(), m.tier) ==
                   p.estimate.tiers.end()) {
      p.estimate.tiers.push_back(m.tier);
    }
  }
  if (q.sort == order::oldest_first) {
    std::sort(p.blocks.begin(), p.blocks.end(),
              [](const candidate& a, const candidate& b) { return a.min_ts < b.min_ts; });
  } else {
    std::sort(p.blocks.begin(), p.blocks.end(),
              [](const candidate& a, const candidate& b) { return a.max_ts > b.max_ts; });
  }
  p.estimate.blocks = p.blocks.size();
  p.estimate.plan = std::to_string(p.estimate.partitions) + " partitions (" +
                    std::to_string(p.estimate.partitions_skipped) + " skipped), " +
                    std::to_string(p.estimate.blocks) + " blocks, " +
                    std::to_string(p.estimate.events_scanned) + " records, " +
                    std::to_string(p.estimate.bytes_read) + " bytes to read" +
                    (p.estimate.uses_index ? ", narrowed by index" : ", no index applies");
  return p;
}

std::string block_where(const candidate& c) {
  return c.part->dir().string() + " block #" + std::to_string(c.block);
}

bool load_block(const candidate& c, scan_scratch& s, std::vector<std::string>& warnings) {
  bool ok = false;
  auto r = c.part->view_block(c.block, [&](std::string_view stored) {
    auto o = s.codec.open(stored, block_where(c), c.part->dictionary_for(stored).get(), s.raw);
    if (!o) {
      warnings.push_back(o.err().message);
    } else {
      ok = true;
    }
  });
  if (!r) warnings.push_back(r.err().message);
  if (!ok) s.raw.clear();
  return ok;
}

std::uint64_t weight_of(const model::event& e, const resolution& r) {
  if (r.tier == "raw") return 1;
  const auto* v = e.get("events");
  if (v == nullptr) return 1;
  if (const auto* c = v->get_if<std::uint64_t>()) return *c;
  return 1;
}

}  // namespace coop::tm::detail
