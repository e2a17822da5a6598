// Crypto-PAn over OpenSSL's EVP interface.
//
// Output bit i of an n-bit address is the original bit i XOR the most
// significant bit of AES_K(first i original bits ++ pad bits i..127), where
// pad = AES_K(second half of the key). The n cipher inputs depend only on the
// original address, never on earlier outputs, so all n blocks are built first
// and encrypted in one ECB call: libcrypto then pipelines them (AES-NI),
// which is several times faster than n separate calls.
#include "coop/model/anonymize.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <utility>

namespace coop::model {
namespace {

constexpr std::size_t block = 16;
using block_t = std::array<std::uint8_t, block>;

struct cipher_deleter {
  void operator()(EVP_CIPHER* c) const noexcept { EVP_CIPHER_free(c); }
};
struct context_deleter {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};

// One direct-mapped cache slot: an original address and its image.
struct cache_entry {
  std::array<std::uint8_t, 16> in{};
  std::array<std::uint8_t, 16> out{};
  bool used = false;
};

std::size_t slot_of(const std::array<std::uint8_t, 16>& a, std::size_t mask) noexcept {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::memcpy(&hi, a.data(), 8);
  std::memcpy(&lo, a.data() + 8, 8);
  std::uint64_t h = (hi * 0x9e3779b97f4a7c15ULL) ^ (lo + 0x632be59bd9b4e019ULL);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return static_cast<std::size_t>(h) & mask;
}

address unspecified_like(const address& a) noexcept {
  return a.is_v4() ? address::v4(std::uint32_t{0}) : address{};
}

}  // namespace

struct anonymizer::impl {
  std::unique_ptr<EVP_CIPHER, cipher_deleter> cipher;
  std::unique_ptr<EVP_CIPHER_CTX, context_deleter> ctx;
  block_t pad{};
  anonymizer_options options;
  std::vector<cache_entry> cache;
  std::size_t cache_mask = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  // Scratch for the cipher inputs and outputs: 128 blocks for IPv6.
  std::array<std::uint8_t, 128 * block> in{};
  std::array<std::uint8_t, 128 * block> out{};

  ~impl() {
    OPENSSL_cleanse(pad.data(), pad.size());
    OPENSSL_cleanse(in.data(), in.size());
    OPENSSL_cleanse(out.data(), out.size());
  }

  bool encrypt(std::size_t blocks) noexcept {
    int len = 0;
    const int n = static_cast<int>(blocks * block);
    return EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), n) == 1 && len == n;
  }

  // Crypto-PAn over the 32 bits of an IPv4 address (host order).
  bool scramble_v4(std::uint32_t orig, std::uint32_t& result) noexcept {
    const std::uint32_t pad_head = (std::uint32_t{pad[0]} << 24) | (std::uint32_t{pad[1]} << 16) |
                                   (std::uint32_t{pad[2]} << 8) | std::uint32_t{pad[3]};
    for (unsigned i = 0; i < 32; ++i) {
      // The first i bits from the address, the rest from the pad.
      const std::uint32_t keep = i == 0 ? 0 : ~std::uint32_t{0} << (32 - i);
      const std::uint32_t head = (orig & keep) | (pad_head & ~keep);
      std::uint8_t* b = in.data() + i * block;
      b[0] = static_cast<std::uint8_t>(head >> 24);
      b[1] = static_cast<std::uint8_t>(head >> 16);
      b[2] = static_cast<std::uint8_t>(head >> 8);
      b[3] = static_cast<std::uint8_t>(head);
      std::memcpy(b + 4, pad.data() + 4, block - 4);
    }
    if (!encrypt(32)) return false;
    std::uint32_t flips = 0;
    for (unsigned i = 0; i < 32; ++i) {
      flips |= std::uint32_t{static_cast<std::uint8_t>(out[i * block] >> 7)} << (31 - i);
    }
    result = orig ^ flips;
    return true;
  }

  // Crypto-PAn over all 128 bits of an IPv6 address.
  bool scramble_v6(const std::array<std::uint8_t, 16>& orig,
                   std::array<std::uint8_t, 16>& result) noexcept {
    for (unsigned i = 0; i < 128; ++i) {
      std::uint8_t* b = in.data() + i * block;
      const unsigned whole = i / 8;
      std::memcpy(b, orig.data(), whole);
      std::memcpy(b + whole, pad.data() + whole, block - whole);
      if (const unsigned part = i % 8; part != 0) {
        const auto keep = static_cast<std::uint8_t>(0xff << (8 - part));
        b[whole] = static_cast<std::uint8_t>((orig[whole] & keep) | (pad[whole] & ~keep));
      }
    }
    if (!encrypt(128)) return false;
    result = orig;
    for (unsigned i = 0; i < 128; ++i) {
      result[i / 8] ^= static_cast<std::uint8_t>((out[i * block] >> 7) << (7 - i % 8));
    }
    return true;
  }

  address scramble(const address& a) noexcept {
    cache_entry* slot = nullptr;
    if (!cache.empty()) {
      slot = &cache[slot_of(a.bytes(), cache_mask)];
      if (slot->used && slot->in == a.bytes()) {
        ++hits;
        return address::v6(slot->out);
      }
    }
    ++misses;
    address r;
    if (a.is_v4()) {
      std::uint32_t v = 0;
      if (!scramble_v4(a.v4_host_order(), v)) return unspecified_like(a);
      r = address::v4(v);
    } else {
      std::array<std::uint8_t, 16> v{};
      if (!scramble_v6(a.bytes(), v)) return unspecified_like(a);
      // A 128-bit image that lands in ::ffff:0:0/96 would read back as
      // IPv4; that is harmless (the mapping stays one-to-one) but rare.
      r = address::v6(v);
    }
    if (slot != nullptr) {
      slot->in = a.bytes();
      slot->out = r.bytes();
      slot->used = true;
    }
    return r;
  }

  [[nodiscard]] bool selects(const address& a) const noexcept {
    const auto inside = [&a](const subnet& s) { return s.contains(a); };
    if (std::any_of(options.keep.begin(), options.keep.end(), inside)) return false;
    return options.only.empty() || std::any_of(options.only.begin(), options.only.end(), inside);
  }
};

anonymizer::anonymizer(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
anonymizer::anonymizer(anonymizer&& other) noexcept = default;
anonymizer& anonymizer::operator=(anonymizer&& other) noexcept = default;
anonymizer::~anonymizer() = default;

result<anonymizer> anonymizer::make(std::span<const std::uint8_t> key, anonymizer_options options) {
  if (key.size() != anonymization_key_size) {
    return {errc::invalid_argument, "anonymizer key: expected " +
                                        std::to_string(anonymization_key_size) + " bytes, got " +
                                        std::to_string(key.size())};
  }
  if (options.cache_entries > max_cache_entries) {
    return {errc::invalid_argument,
            "anonymizer option cache_entries: " + std::to_string(options.cache_entries) +
                " exceeds the maximum of " + std::to_string(max_cache_entries)};
  }
  auto p = std::make_unique<impl>();
  p->cipher.reset(EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr));
  p->ctx.reset(EVP_CIPHER_CTX_new());
  if (!p->cipher || !p->ctx ||
      EVP_EncryptInit_ex2(p->ctx.get(), p->cipher.get(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(p->ctx.get(), 0) != 1) {
    return {errc::unsupported, "anonymizer: libcrypto cannot provide AES-128-ECB"};
  }
  std::memcpy(p->in.data(), key.data() + block, block);
  if (!p->encrypt(1)) {
    return {errc::unsupported, "anonymizer: AES-128 encryption of the pad failed"};
  }
  std::memcpy(p->pad.data(), p->out.data(), block);
  if (options.cache_entries != 0) {
    std::size_t n = std::bit_ceil(options.cache_entries);
    p->cache.resize(n);
    p->cache_mask = n - 1;
  }
  p->options = std::move(options);
  return anonymizer(std::move(p));
}

bool anonymizer::selects(const address& a) const noexcept {
  return impl_ != nullptr && impl_->selects(a);
}

address anonymizer::scramble(const address& a) noexcept {
  if (impl_ == nullptr) return unspecified_like(a);
  return impl_->scramble(a);
}

address anonymizer::anonymize(const address& a) noexcept {
  if (impl_ == nullptr) return unspecified_like(a);
  return impl_->selects(a) ? impl_->scramble(a) : a;
}

subnet anonymizer::anonymize(const subnet& s) noexcept {
  const address net = anonymize(s.network());
  if (net == s.network()) return s;
  // make() masks the host bits; it fails only for an impossible length.
  auto r = subnet::make(net, s.length());
  return r.ok() ? r.value() : subnet{};
}

std::uint64_t anonymizer::cache_hits() const noexcept { return impl_ ? impl_->hits : 0; }
std::uint64_t anonymizer::cache_misses() const noexcept { return impl_ ? impl_->misses : 0; }

}  // namespace coop::model
