// Community ID version 1 over OpenSSL's SHA-1. The digest algorithm is
// fetched once; each thread keeps its own digest context.
#include "coop/model/community_id.h"

#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <memory>

namespace coop::model {
namespace {

struct md_deleter {
  void operator()(EVP_MD* m) const noexcept { EVP_MD_free(m); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

const EVP_MD* sha1() {
  static const std::unique_ptr<EVP_MD, md_deleter> md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return md.get();
}

constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Appends the padded base64 of the 20-byte digest: 28 characters.
void append_base64(const unsigned char* d, std::string& out) {
  for (int i = 0; i < 18; i += 3) {
    const unsigned v = (unsigned{d[i]} << 16) | (unsigned{d[i + 1]} << 8) | d[i + 2];
    out.push_back(base64_alphabet[(v >> 18) & 63]);
    out.push_back(base64_alphabet[(v >> 12) & 63]);
    out.push_back(base64_alphabet[(v >> 6) & 63]);
    out.push_back(base64_alphabet[v & 63]);
  }
  const unsigned v = (unsigned{d[18]} << 16) | (unsigned{d[19]} << 8);
  out.push_back(base64_alphabet[(v >> 18) & 63]);
  out.push_back(base64_alphabet[(v >> 12) & 63]);
  out.push_back(base64_alphabet[(v >> 6) & 63]);
  out.push_back('=');
}

}  // namespace

std::uint8_t community_id_protocol(transport t) noexcept {
  switch (t) {
    case transport::tcp: return 6;
    case transport::udp: return 17;
    default: return 0;
  }
}

bool community_id(const address& orig_h, std::uint16_t orig_p, const address& resp_h,
                  std::uint16_t resp_p, std::uint8_t ip_proto, std::string& out,
                  std::uint16_t seed) {
  out.clear();
  if (ip_proto == 0) return false;  // community_id_protocol() of a transport not covered
  const bool v4 = orig_h.is_v4();
  if (v4 != resp_h.is_v4()) return false;
  const std::size_t skip = v4 ? 12 : 0;  // an IPv4 address hashes as its 4 bytes
  const std::size_t len = 16 - skip;
  const auto& a = orig_h.bytes();
  const auto& b = resp_h.bytes();
  // The smaller endpoint goes first: address bytes, then port.
  const int by_address = std::memcmp(a.data() + skip, b.data() + skip, len);
  const bool swap = by_address > 0 || (by_address == 0 && orig_p > resp_p);
  const unsigned char* first = (swap ? b : a).data() + skip;
  const unsigned char* second = (swap ? a : b).data() + skip;
  const std::uint16_t first_port = swap ? resp_p : orig_p;
  const std::uint16_t second_port = swap ? orig_p : resp_p;

  std::array<unsigned char, 2 + 16 + 16 + 2 + 4> in{};
  std::size_t n = 0;
  in[n++] = static_cast<unsigned char>(seed >> 8);
  in[n++] = static_cast<unsigned char>(seed);
  std::memcpy(in.data() + n, first, len);
  n += len;
  std::memcpy(in.data() + n, second, len);
  n += len;
  in[n++] = ip_proto;
  in[n++] = 0;
  in[n++] = static_cast<unsigned char>(first_port >> 8);
  in[n++] = static_cast<unsigned char>(first_port);
  in[n++] = static_cast<unsigned char>(second_port >> 8);
  in[n++] = static_cast<unsigned char>(second_port);

  thread_local const std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = sha1();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), in.data(), n) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &digest_len) != 1 || digest_len != 20) {
    return false;
  }
  out.reserve(community_id_length);
  out.append("1:");
  append_base64(digest, out);
  return true;
}

}  // namespace coop::model
