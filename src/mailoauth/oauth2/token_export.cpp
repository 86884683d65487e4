// The export file:
//   mailoauth token export v1
//   argon2id ops=<opslimit> mem=<memlimit bytes> salt=<base64>
//   <base64 of nonce || XChaCha20-Poly1305(JSON)>
// The first two lines are the associated data. Times are milliseconds since
// the epoch, as in the store.
#include "mailoauth/oauth2/token_export.hpp"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/oauth2/store_crypto.hpp"

namespace mailoauth::oauth2 {

namespace {

using core::ErrorClass;
using nlohmann::json;

constexpr std::string_view kMagic = "mailoauth token export v1";
// libsodium's "interactive" limits: ~0.1 s and 64 MiB here; a stolen file
// still costs an attacker that per guess.
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
constexpr unsigned long long kMaxOps = 16;
constexpr std::size_t kMaxMem = std::size_t{1} << 30;

core::Error unreadable(std::string why) {
  return core::Error(ErrorClass::Config, "export.unreadable",
                     "not a mailoauth token export file: " + std::move(why),
                     "give the file `mailoauth token export` wrote, unchanged");
}

core::Result<StoreKey> derive(const core::Secret& passphrase, std::string_view salt,
                              unsigned long long ops, std::size_t mem) {
  if (sodium_init() < 0) {
    return core::fail(ErrorClass::Bug, "export.sodium", "libsodium failed to initialise");
  }
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                    passphrase.reveal().data(), passphrase.size(),
                    reinterpret_cast<const unsigned char*>(salt.data()), ops, mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    core::secure_wipe(key.data(), key.size());
    return core::fail(ErrorClass::Temporary, "export.memory",
                      "not enough memory to derive the key from the passphrase",
                      "free memory and run again");
  }
  return make_store_key(core::Secret::take(std::move(key)), "passphrase");
}

std::optional<std::int64_t> millis(const std::optional<core::Clock::WallTime>& time) {
  if (!time) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count();
}

json time_value(const std::optional<core::Clock::WallTime>& time) {
  auto value = millis(time);
  return value ? json(*value) : json(nullptr);
}

core::Result<std::optional<core::Clock::WallTime>> read_time(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::optional<core::Clock::WallTime>();
  if (!found->is_number_integer())
    return core::fail(unreadable(std::string(key) + " is not a time"));
  return std::optional<core::Clock::WallTime>(
      core::Clock::WallTime(std::chrono::duration_cast<core::Clock::WallTime::duration>(
          std::chrono::milliseconds(found->get<std::int64_t>()))));
}

core::Result<std::string> read_text(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::string();
  if (!found->is_string()) return core::fail(unreadable(std::string(key) + " is not a string"));
  return found->get<std::string>();
}

}  // namespace

core::Result<std::string> seal_export(const std::vector<ExportedAccount>& accounts,
                                      const core::Secret& passphrase) {
  if (passphrase.size() < kMinPassphrase) {
    return core::fail(ErrorClass::Config, "export.short_passphrase",
                      fmt::format("the passphrase has fewer than {} characters", kMinPassphrase),
                      "use a longer passphrase: the file holds refresh tokens");
  }
  json list = json::array();
  for (const auto& account : accounts) {
    const StoredTokens& t = account.tokens;
    json secrets = json::array();
    for (const auto& secret : account.client_secrets) {
      secrets.push_back({{"slot", secret.slot},
                         {"value", secret.value.reveal()},
                         {"expires_at", time_value(secret.expires_at)},
                         {"added_at", time_value(secret.added_at)}});
    }
    list.push_back({{"name", account.name},
                    {"access_token", t.access_token.reveal()},
                    {"token_type", t.token_type},
                    {"access_expires_at", time_value(t.access_expires_at)},
                    {"access_obtained_at", time_value(t.access_obtained_at)},
                    {"refresh_token", t.refresh_token.reveal()},
                    {"refresh_obtained_at", time_value(t.refresh_obtained_at)},
                    {"scopes", t.scopes},
                    {"last_refresh_at", time_value(t.last_refresh_at)},
                    {"last_error", t.last_error},
                    {"client_secrets", secrets}});
  }
  std::string plain = json{{"accounts", list}}.dump();
  list = json();  // drop the copies of the secrets the tree held

  if (sodium_init() < 0) {
    return core::fail(ErrorClass::Bug, "export.sodium", "libsodium failed to initialise");
  }
  std::string salt(crypto_pwhash_SALTBYTES, '\0');
  randombytes_buf(salt.data(), salt.size());
  const std::string header = fmt::format("{}\nargon2id ops={} mem={} salt={}\n", kMagic, kOps, kMem,
                                         core::base64::encode(salt));
  auto key = derive(passphrase, salt, kOps, kMem);
  if (!key) {
    core::secure_wipe(plain.data(), plain.size());
    return core::fail(key.error());
  }
  const std::string sealed = seal(*key, plain, header);
  core::secure_wipe(plain.data(), plain.size());
  return header + core::base64::encode(sealed) + "\n";
}

core::Result<std::vector<ExportedAccount>> open_export(std::string_view text,
                                                       const core::Secret& passphrase) {
  if (text.size() > kMaxExportSize) return core::fail(unreadable("larger than 16 MiB"));
  const auto first = text.find('\n');
  if (first == std::string_view::npos || text.substr(0, first) != kMagic) {
    return core::fail(unreadable("its first line is not \"mailoauth token export v1\""));
  }
  const auto second = text.find('\n', first + 1);
  if (second == std::string_view::npos) return core::fail(unreadable("it is truncated"));
  const std::string_view header = text.substr(0, second + 1);
  const std::string parameters(text.substr(first + 1, second - first - 1));
  unsigned long long ops = 0;
  std::size_t mem = 0;
  char salt_text[64] = {};
  if (std::sscanf(parameters.c_str(), "argon2id ops=%llu mem=%zu salt=%63s", &ops, &mem,
                  salt_text) != 3 ||
      ops < crypto_pwhash_OPSLIMIT_MIN || ops > kMaxOps || mem < crypto_pwhash_MEMLIMIT_MIN ||
      mem > kMaxMem) {
    return core::fail(unreadable("its key parameters are missing or out of range"));
  }
  auto salt = core::base64::decode(salt_text);
  if (!salt || salt->size() != crypto_pwhash_SALTBYTES) {
    return core::fail(unreadable("its salt is not valid"));
  }
  std::string_view body = text.substr(second + 1);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  auto sealed = core::base64::decode(body);
  if (!sealed) return core::fail(unreadable("its content is not base64"));
  auto key = derive(passphrase, *salt, ops, mem);
  if (!key) return core::fail(key.error());
  auto plain = unseal(*key, *sealed, header);
  if (!plain) {
    return core::fail(ErrorClass::Config, "export.wrong_passphrase",
                      "the file cannot be decrypted: wrong passphrase, or the file was changed",
                      "give the passphrase used for `mailoauth token export`");
  }
  const json document = json::parse(plain->reveal(), nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("accounts") ||
      !document["accounts"].is_array()) {
    return core::fail(unreadable("its content is not an account list"));
  }
  std::vector<ExportedAccount> accounts;
  for (const auto& item : document["accounts"]) {
    if (!item.is_object()) return core::fail(unreadable("an account is not an object"));
    ExportedAccount account;
    auto name = read_text(item, "name");
    if (!name) return core::fail(name.error());
    account.name = std::move(*name);
    StoredTokens& t = account.tokens;
    for (const auto& [key_name, target] : {std::pair{"access_token", &t.access_token},
                                           std::pair{"refresh_token", &t.refresh_token}}) {
      auto value = read_text(item, key_name);
      if (!value) return core::fail(value.error());
      *target = core::Secret::take(std::move(*value));
    }
    for (const auto& [key_name, target] :
         {std::pair{"token_type", &t.token_type}, std::pair{"scopes", &t.scopes},
          std::pair{"last_error", &t.last_error}}) {
      auto value = read_text(item, key_name);
      if (!value) return core::fail(value.error());
      *target = std::move(*value);
    }
    for (const auto& [key_name, target] : {std::pair{"access_expires_at", &t.access_expires_at},
                                           std::pair{"access_obtained_at", &t.access_obtained_at},
                                           std::pair{"refresh_obtained_at", &t.refresh_obtained_at},
                                           std::pair{"last_refresh_at", &t.last_refresh_at}}) {
      auto value = read_time(item, key_name);
      if (!value) return core::fail(value.error());
      *target = *value;
    }
    if (const auto secrets = item.find("client_secrets");
        secrets != item.end() && secrets->is_array()) {
      for (const auto& entry : *secrets) {
        if (!entry.is_object()) return core::fail(unreadable("a client secret is not an object"));
        StoredClientSecret secret;
        auto slot = read_text(entry, "slot");
        auto value = read_text(entry, "value");
        auto expires = read_time(entry, "expires_at");
        auto added = read_time(entry, "added_at");
        if (!slot || !value || !expires || !added) {
          return core::fail(unreadable("a client secret is malformed"));
        }
        if (*slot != "current" && *slot != "previous") {
          return core::fail(unreadable("a client secret has an unknown slot"));
        }
        secret.slot = std::move(*slot);
        secret.value = core::Secret::take(std::move(*value));
        secret.expires_at = *expires;
        secret.added_at = *added;
        account.client_secrets.push_back(std::move(secret));
      }
    }
    accounts.push_back(std::move(account));
  }
  return accounts;
}

}  // namespace mailoauth::oauth2
