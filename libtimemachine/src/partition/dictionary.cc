// A partition's zstd dictionary and the sealing of blocks with it: trained
// once, on the records of the first commit that has enough of them (or, for
// a slow stream, on the blocks already stored plus the commit's), then
// stored with the blocks it seals; read again by a reader that opened the
// partition before it existed (docs/timemachine.md, "Blocks").
#include <zlib.h>

#include <algorithm>

#include "block/endian.h"
#include "partition/partition.h"

namespace coop::tm::detail {

namespace {

// Samples (frames' records) gathered for training, and the dictionary's
// size: measured on the benchmark's traffic, more samples or a larger
// dictionary gain under 1% and train slower.
constexpr std::size_t sample_bytes = std::size_t{320} << 10;
constexpr std::size_t capacity = std::size_t{32} << 10;

// Appends the frames of `records` records in `payload` to `samples`.
void add_frames(std::string_view payload, std::uint32_t records,
                std::vector<std::string_view>& samples) {
  auto cuts = frame_cuts(payload, records);
  for (std::size_t f = 0; f + 1 < cuts.size(); ++f) {
    samples.push_back(payload.substr(cuts[f], cuts[f + 1] - cuts[f]));
  }
}

}  // namespace

std::uint32_t dictionary_crc(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

std::shared_ptr<const block_dictionary> partition::read_dictionary(const lmdb::txn& t) const {
  // u32 LE CRC-32, then the bytes. A damaged one is left out; the blocks
  // that need it then report so when read.
  auto dict = t.get(info_, dictionary_key);
  if (!dict || dict->size() <= 4 || dictionary_crc(dict->substr(4)) != get_le32(*dict, 0)) {
    return nullptr;
  }
  auto d = block_dictionary::make(std::string(dict->substr(4)), 1);
  return d ? std::move(d.value()) : nullptr;
}

std::shared_ptr<const block_dictionary> partition::dictionary_for(std::string_view stored) const {
  auto d = dictionary();
  if (d || stored.size() <= 4 || stored[4] != 2) return d;
  // A block that needs a dictionary this object has not loaded: another
  // process (the writer) trained it after this one opened the partition.
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return nullptr;
  auto loaded = read_dictionary(*t);
  std::lock_guard lock(mu_);
  if (!dict_) dict_ = std::move(loaded);
  return dict_;
}

std::shared_ptr<const block_dictionary> partition::train_dictionary(
    const std::vector<block_in>& blocks, int level, std::string& stored) {
  std::vector<std::string_view> samples;
  std::size_t bytes = 0;
  std::uint64_t records = 0;
  // Blocks spread evenly over the commit, not its first ones: a commit's
  // records are cut into blocks in cluster-field order, group by group, so
  // its first blocks hold only one group's lowest addresses' events.
  std::size_t total = 0;
  for (const auto& b : blocks) total += b.payload.size();
  const std::size_t stride = std::max<std::size_t>(1, total / sample_bytes);
  for (std::size_t i = 0; i < blocks.size() && bytes < sample_bytes; i += stride) {
    const auto& b = blocks[i];
    add_frames(b.payload, b.records, samples);
    bytes += b.payload.size();
    records += b.records;
  }
  // Too few records in this commit: add the most recent stored blocks when
  // the partition as a whole (at this commit's record size) holds enough,
  // and training did not fail since it last doubled.
  std::vector<std::string> old;
  const partition_meta m = meta();
  if (bytes < sample_bytes && records > 0 && m.blocks > 0 &&
      (m.rows + records) * (bytes / records) >= sample_bytes && m.rows >= 2 * dict_failed_rows_) {
    block_codec codec;
    std::string stored_block;
    for (std::uint32_t n = m.blocks; n-- > 0 && bytes < sample_bytes;) {
      std::string raw;
      if (!read_block(n, stored_block) || !codec.open(stored_block, "", nullptr, raw)) continue;
      bytes += raw.size();
      old.push_back(std::move(raw));
    }
    // The block summaries hold the record counts; a frame cut of a whole
    // block only needs an upper bound.
    for (const auto& raw : old) add_frames(raw, max_block_records, samples);
  }
  auto trained = block_dictionary::train(samples, capacity);
  if (!trained) {
    if (bytes >= sample_bytes) dict_failed_rows_ = m.rows + records;
    return nullptr;
  }
  auto d = block_dictionary::make(*trained, level);
  if (!d) return nullptr;
  put_le32(stored, dictionary_crc(*trained));
  stored += *trained;
  return std::move(d.value());
}

std::vector<std::string> partition::seal_blocks(const std::vector<block_in>& blocks,
                                               std::shared_ptr<const block_dictionary>& dict,
                                               std::string& new_dict) {
  dict = dictionary();
  const int level = blocks.empty() ? 0 : blocks.front().level;
  // Blocks sealed whole (aggregates) compress well on their own: a
  // dictionary would only cost its size in every partition.
  const bool whole = !blocks.empty() && std::all_of(blocks.begin(), blocks.end(), [](const auto& b) {
    return b.frame_records >= max_block_records;
  });
  if (level > 0 && !dict && !whole) {
    dict = train_dictionary(blocks, level, new_dict);
  } else if (level > 0 && dict && dict->level() != level) {
    // Read back at open: prepare it for this level.
    if (auto d = block_dictionary::make(dict->bytes(), level)) dict = std::move(d.value());
  }
  std::vector<std::string> sealed;
  sealed.reserve(blocks.size());
  block_codec codec;
  for (const auto& b : blocks) {
    // Without a dictionary, small frames compress poorly: one frame for
    // the whole block (a lookup then decompresses all of it).
    const block_dictionary* d =
        b.level > 0 && b.frame_records < max_block_records ? dict.get() : nullptr;
    const auto per = b.frame_records != 0 ? b.frame_records
                     : d != nullptr || b.level == 0
                         ? default_frame_records
                         : static_cast<std::uint16_t>(max_block_records);
    sealed.push_back(codec.seal(b.payload, b.records, b.min_ts, b.max_ts, b.level, d, per));
  }
  return sealed;
}

}  // namespace coop::tm::detail
