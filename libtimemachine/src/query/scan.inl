// scan_block, included by plan.h.
#pragma once

#include "block/record.h"
#include "coop/model/codec.h"

namespace coop::tm::detail {

namespace scan {

// Decodes one record and hands it to on_match when it matches.
template <class F>
void offer(const plan& p, const candidate& c, scan_scratch& s, const stored_record& bytes,
           std::size_t record, std::vector<std::string>& warnings, F& on_match) {
  const tier_filter& tf = p.tiers[c.tier];
  model::event& e = *s.event;
  if (auto r = s.records.decode(bytes, *tf.types, e); !r) {
    warnings.push_back(block_where(c) + " record " + std::to_string(record) + ": " +
                       r.err().message);
    return;
  }
  c.part->restore_id(e);
  if (!p.range.contains(e.ts)) return;
  if (!tf.match.matches(e, p.now)) return;
  on_match(e);
}

// Walks the stored records of `raw`, the records of the block from `first`
// on, calling use(record number, record); false (with a warning) when the
// records do not parse.
template <class G>
bool walk(const candidate& c, std::string_view raw, std::size_t first,
          std::vector<std::string>& warnings, G&& use) {
  std::size_t pos = 0;
  stored_record r;
  for (std::size_t record = first; pos < raw.size(); ++record) {
    if (const char* why = next_record(raw, pos, r)) {
      warnings.push_back(block_where(c) + ": record " + std::to_string(record) + ": " + why);
      return false;
    }
    if (!use(record, r)) return true;
  }
  return true;
}

}  // namespace scan

template <class F>
void scan_block(const plan& p, const candidate& c, scan_scratch& s,
                std::vector<std::string>& warnings, F&& on_match) {
  if (c.wanted.empty()) {
    if (!load_block(c, s, warnings)) return;
    scan::walk(c, s.raw, 0, warnings, [&](std::size_t record, const stored_record& bytes) {
      scan::offer(p, c, s, bytes, record, warnings, on_match);
      return true;
    });
    return;
  }
  // Only the listed records: decompress their frames, one at a time. The
  // block's location is spelt out only for an error (this is every
  // lookup's path): the codec's messages then start with ": damaged ...",
  // or " frame N: ...".
  auto located = [&](const model::error& e) { return block_where(c) + e.message; };
  auto r = c.part->view_block(c.block, [&](std::string_view stored) {
    auto dict = c.part->dictionary_for(stored);
    const block_frames& frames = s.frames;
    if (auto t = block_codec::frames(stored, "", s.frames); !t) {
      warnings.push_back(located(t.err()));
      return;
    }
    const std::size_t per = frames.header.frame_records;
    std::size_t i = 0;
    while (i < c.wanted.size()) {
      const std::size_t f = per == 0 ? 0 : c.wanted[i] / per;
      // The wanted records of this frame: [i, j).
      std::size_t j = i;
      while (j < c.wanted.size() && per != 0 && c.wanted[j] / per == f) ++j;
      if (j == i) break;
      if (auto fr = s.codec.frame(frames, f, "", dict.get(), s.raw); !fr) {
        warnings.push_back(located(fr.err()));
        i = j;
        continue;
      }
      std::size_t next = i;
      scan::walk(c, s.raw, f * per, warnings, [&](std::size_t record, const stored_record& bytes) {
        if (record == c.wanted[next]) {
          scan::offer(p, c, s, bytes, record, warnings, on_match);
          ++next;
        }
        return next < j;
      });
      i = j;
    }
  });
  if (!r) warnings.push_back(r.err().message);
}

}  // namespace coop::tm::detail
