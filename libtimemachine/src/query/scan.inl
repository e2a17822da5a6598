// scan_block, included by plan.h.
#pragma once

#include "block/endian.h"
#include "coop/model/codec.h"

namespace coop::tm::detail {

template <class F>
void scan_block(const plan& p, const candidate& c, std::string& stored, std::string& raw,
                model::event& scratch, std::vector<std::string>& warnings, F&& on_match) {
  if (!load_block(c, stored, raw, warnings)) return;
  const tier_filter& tf = p.tiers[c.tier];
  std::size_t pos = 0;
  std::size_t record = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos < 4) {
      warnings.push_back(c.part->dir().string() + " block #" + std::to_string(c.block) +
                         ": truncated record at byte " + std::to_string(pos));
      return;
    }
    std::uint32_t len = get_le32(raw, pos);
    pos += 4;
    if (len > raw.size() - pos) {
      warnings.push_back(c.part->dir().string() + " block #" + std::to_string(c.block) +
                         ": record " + std::to_string(record) + " overruns the block");
      return;
    }
    auto bytes = std::as_bytes(std::span<const char>(raw.data() + pos, len));
    pos += len;
    ++record;
    if (auto r = model::decode_into(bytes, *tf.types, scratch); !r) {
      warnings.push_back(c.part->dir().string() + " block #" + std::to_string(c.block) +
                         " record " + std::to_string(record - 1) + ": " + r.err().message);
      continue;
    }
    if (!p.range.contains(scratch.ts)) continue;
    if (!tf.match.matches(scratch, p.now)) continue;
    on_match(scratch);
  }
}

}  // namespace coop::tm::detail
