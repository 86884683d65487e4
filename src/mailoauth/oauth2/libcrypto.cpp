// dlopen + dlsym for the libcrypto table.
#include "mailoauth/oauth2/libcrypto.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <dlfcn.h>

namespace mailoauth::oauth2 {

namespace {
const LibCrypto* loaded_table = nullptr;
}

core::Result<const LibCrypto*> load_libcrypto() {
  static std::string failure;
  static const LibCrypto* table = []() -> const LibCrypto* {
    void* library = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* error = ::dlerror();
      failure = error != nullptr ? error : "dlopen failed";
      return nullptr;
    }
    static LibCrypto functions{};
    std::string missing;
#define MAILOAUTH_LIBCRYPTO_RESOLVE(name)                                                     \
  functions.name##_ = reinterpret_cast<std::remove_reference_t<decltype(functions.name##_)>>( \
      ::dlsym(library, #name));                                                               \
  if (functions.name##_ == nullptr) missing += " " #name;
    MAILOAUTH_LIBCRYPTO_FUNCTIONS(MAILOAUTH_LIBCRYPTO_RESOLVE)
#undef MAILOAUTH_LIBCRYPTO_RESOLVE
    if (!missing.empty()) {
      failure = "libcrypto.so.3 lacks" + missing;
      return nullptr;
    }
    return &functions;
  }();
  if (table == nullptr) {
    return core::fail(core::ErrorClass::Config, "crypto.unavailable",
                      "cannot load OpenSSL's libcrypto for certificate credentials: " + failure,
                      "install the libssl3 package (OpenSSL 3)");
  }
  loaded_table = table;
  return table;
}

const LibCrypto& libcrypto() {
  if (loaded_table == nullptr) {
    std::fputs("mailoauth: bug: libcrypto used before it was loaded\n", stderr);
    std::abort();
  }
  return *loaded_table;
}

}  // namespace mailoauth::oauth2
