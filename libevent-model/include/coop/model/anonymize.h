// Keyed prefix-preserving address anonymisation in the style of Crypto-PAn
// (Xu, Fan, Ammar, Moon, ICNP 2002). An `anonymizer` maps IPv4 and IPv6
// addresses one-to-one onto addresses of the same family such that two
// addresses sharing exactly k leading bits map to two addresses sharing
// exactly k leading bits; the mapping is fixed by a 32-byte key and
// reproduces the reference implementation's output for IPv4. Options limit
// anonymisation to a site's own networks and exempt keep-listed networks.
// An `anonymizer` is a resource (move-only): it owns a cipher context and a
// cache, so it is not thread-safe; use one per thread (several anonymizers
// made from the same key produce the same mapping). See docs/transform.md
// for what the scheme does and does not protect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/export.h"
#include "coop/model/result.h"

namespace coop::model {

/// Size in bytes of an anonymisation key: 16 bytes of AES-128 key followed
/// by 16 bytes that, encrypted, form the padding of every cipher input.
inline constexpr std::size_t anonymization_key_size = 32;

/// Which addresses an `anonymizer` changes. A plain aggregate.
struct anonymizer_options {
  /// If non-empty, only addresses inside one of these subnets are
  /// anonymised (e.g. a site's internal networks); all others pass through
  /// unchanged. Default: empty, every address is anonymised.
  std::vector<subnet> only;
  /// Addresses inside one of these subnets are never anonymised, even when
  /// `only` selects them (e.g. public DNS resolvers, documentation ranges).
  /// Default: empty.
  std::vector<subnet> keep;
  /// Number of entries in the cache of recently anonymised addresses,
  /// rounded up to a power of two; 0 disables the cache. The cache is
  /// allocated once, at construction (33 bytes per entry). Default: 4096.
  std::size_t cache_entries = 4096;
};

/// A prefix-preserving address anonymiser bound to one key.
class COOP_MODEL_EXPORT anonymizer {
 public:
  /// An anonymiser for the 32-byte `key` (see anonymization_key_size); the
  /// key is copied into the cipher context and need not outlive the call.
  /// Errors: invalid_argument when the key is not 32 bytes long or
  /// `cache_entries` exceeds max_cache_entries; unsupported when libcrypto
  /// cannot provide AES-128.
  static result<anonymizer> make(std::span<const std::uint8_t> key,
                                 anonymizer_options options = {});

  /// Upper bound on anonymizer_options::cache_entries.
  static constexpr std::size_t max_cache_entries = std::size_t{1} << 20;

  /// A moved-from anonymizer may only be assigned to or destroyed; used
  /// anyway, it maps every address to the unspecified address.
  anonymizer(anonymizer&& other) noexcept;
  anonymizer& operator=(anonymizer&& other) noexcept;
  anonymizer(const anonymizer&) = delete;
  anonymizer& operator=(const anonymizer&) = delete;
  /// Releases the cipher context and wipes the key material it held.
  ~anonymizer();

  /// True if `anonymize(a)` would change `a` under the options: `a` lies
  /// inside an `only` subnet (or `only` is empty) and inside no `keep`
  /// subnet. Cost grows linearly with the number of option subnets.
  [[nodiscard]] bool selects(const address& a) const noexcept;

  /// `a` anonymised if the options select it, else `a` itself. IPv4 (and
  /// IPv4-mapped) addresses are anonymised over their 32 bits and stay
  /// IPv4; other addresses over 128 bits. Deterministic for one key.
  /// Never fails: should libcrypto fail at run time (not expected once
  /// make() succeeded), the result is the unspecified address of the
  /// family (0.0.0.0 or ::), never the original address.
  [[nodiscard]] address anonymize(const address& a) noexcept;

  /// `s` with its network address anonymised (when the options select the
  /// network address) and the same prefix length; the host bits of the
  /// result are zero. For every address `a` in `s` that the options select,
  /// `anonymize(s).contains(anonymize(a))` holds.
  [[nodiscard]] subnet anonymize(const subnet& s) noexcept;

  /// Crypto-PAn applied unconditionally (the options are ignored); the
  /// primitive under anonymize().
  [[nodiscard]] address scramble(const address& a) noexcept;

  /// Cache statistics since construction: lookups answered from the cache,
  /// and lookups that ran the cipher. For tuning `cache_entries`.
  [[nodiscard]] std::uint64_t cache_hits() const noexcept;
  [[nodiscard]] std::uint64_t cache_misses() const noexcept;

 private:
  struct impl;
  explicit anonymizer(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace coop::model
