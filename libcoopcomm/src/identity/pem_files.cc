// PEM files of site identities: atomic creation without replacement, bounded
// reads, and PEM conversion of keys and certificates.
#include "identity/pem_files.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace coop::comm::detail {
namespace {

std::string sys_error(const std::filesystem::path& p, const char* what, int err) {
  return p.string() + ": " + what + ": " + std::strerror(err);
}

// Closes a file descriptor on scope exit.
class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string random_suffix() {
  unsigned char b[6];
  if (RAND_bytes(b, sizeof b) != 1) {
    // Uniqueness only needs to hold against other writers of this directory;
    // O_EXCL catches the rest.
    std::memset(b, 0, sizeof b);
  }
  static const char hex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

result<void> write_all(int fd, std::string_view data, const std::filesystem::path& p) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return {errc::io, sys_error(p, "cannot write", errno)};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

void sync_directory(const std::filesystem::path& dir) {
  // Best effort: the file is complete either way; this makes its name durable.
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

result<void> refuse_existing(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0) {
    return {errc::invalid_argument, "refusing to overwrite existing file " + p.string()};
  }
  if (errno != ENOENT) return {errc::io, sys_error(p, "cannot check", errno)};
  return {};
}

result<void> write_new_file(const std::filesystem::path& p, std::string_view data, mode_t mode) {
  if (auto r = refuse_existing(p); !r) return r;
  const std::filesystem::path dir = p.parent_path();
  const std::filesystem::path tmp =
      dir / ("." + p.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
             random_suffix());
  fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) return {errc::io, sys_error(tmp, "cannot create", errno)};
  auto fail = [&](error e) -> result<void> {
    ::close(fd.release());
    ::unlink(tmp.c_str());
    return e;
  };
  // The umask may have narrowed `mode`; set exactly what was asked.
  if (::fchmod(fd.get(), mode) != 0) return fail({errc::io, sys_error(tmp, "cannot chmod", errno)});
  if (auto r = write_all(fd.get(), data, tmp); !r) return fail(r.err());
  if (::fsync(fd.get()) != 0) return fail({errc::io, sys_error(tmp, "cannot fsync", errno)});
  if (::close(fd.release()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return {errc::io, sys_error(tmp, "cannot close", err)};
  }
  // link(2), unlike rename(2), never replaces an existing file: a file that
  // appeared since the check above is kept and reported.
  if (::link(tmp.c_str(), p.c_str()) != 0) {
    int err = errno;
    if (err == EEXIST) {
      ::unlink(tmp.c_str());
      return {errc::invalid_argument, "refusing to overwrite existing file " + p.string()};
    }
    if (err != EPERM && err != ENOTSUP && err != EOPNOTSUPP) {
      ::unlink(tmp.c_str());
      return {errc::io, sys_error(p, "cannot create", err)};
    }
    // File systems without hard links: check again, then rename.
    if (auto r = refuse_existing(p); !r) {
      ::unlink(tmp.c_str());
      return r;
    }
    if (::rename(tmp.c_str(), p.c_str()) != 0) {
      err = errno;
      ::unlink(tmp.c_str());
      return {errc::io, sys_error(p, "cannot create", err)};
    }
  } else {
    ::unlink(tmp.c_str());
  }
  sync_directory(dir);
  return {};
}

result<std::string> read_small_file(const std::filesystem::path& p) {
  fd_guard fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    return {err == ENOENT ? errc::not_found : errc::io, sys_error(p, "cannot open", err)};
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {errc::io, sys_error(p, "cannot read", errno)};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_pem_file_size) {
      return {errc::invalid_argument, p.string() + ": larger than " +
                                          std::to_string(max_pem_file_size) +
                                          " bytes, not a PEM key or certificate"};
    }
  }
  return out;
}

result<x509_ptr> load_certificate(const std::filesystem::path& p) {
  auto text = read_small_file(p);
  if (!text) return text.err();
  bio_ptr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  if (!bio) return error{errc::io, p.string() + ": " + openssl_errors()};
  x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return error{errc::invalid_argument,
                 p.string() + ": not a PEM certificate (" + openssl_errors() + ")"};
  }
  return cert;
}

result<pkey_ptr> load_private_key(const std::filesystem::path& p) {
  auto text = read_small_file(p);
  if (!text) return text.err();
  bio_ptr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  if (!bio) return error{errc::io, p.string() + ": " + openssl_errors()};
  // An empty passphrase callback: an encrypted key fails instead of prompting.
  auto no_pass = [](char*, int, int, void*) -> int { return 0; };
  pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass, nullptr));
  if (!key) {
    return error{errc::invalid_argument, p.string() +
                                             ": not an unencrypted PEM private key (" +
                                             openssl_errors() + ")"};
  }
  return key;
}

namespace {
result<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  if (n <= 0 || data == nullptr) return error{errc::io, "empty PEM output: " + openssl_errors()};
  return std::string(data, static_cast<std::size_t>(n));
}
}  // namespace

result<std::string> certificate_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return error{errc::io, "cannot encode certificate as PEM: " + openssl_errors()};
  }
  return bio_text(bio.get());
}

result<std::string> private_key_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return error{errc::io, "cannot encode private key as PEM: " + openssl_errors()};
  }
  return bio_text(bio.get());
}

}  // namespace coop::comm::detail
