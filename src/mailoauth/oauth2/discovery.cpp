// Metadata fetch and parse. Strings from the document reach messages only
// escaped and shortened. A body that is not a JSON object is Temporary (a
// proxy or captive portal answering HTML), like at the token endpoint; a
// document that is JSON but wrong is Permanent: asking again will not fix it.
#include "mailoauth/oauth2/discovery.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/log.hpp"

namespace mailoauth::oauth2 {

namespace {

constexpr std::string_view kRemedy =
    "check the account's issuer URL (it must be exactly what the provider calls itself), or "
    "set the endpoints by hand instead of discovering them";

std::string shown(std::string_view text) {
  constexpr std::size_t kLimit = 200;
  std::string out = core::escape_control_characters(text.substr(0, kLimit));
  if (text.size() > kLimit) out += "...";
  return out;
}

std::unexpected<core::Error> refuse(std::string code, std::string message) {
  return core::fail(core::ErrorClass::Permanent, "discovery." + code, std::move(message),
                    std::string(kRemedy));
}

// scheme://authority and the rest (path, without query), or false.
bool split_url(std::string_view url, std::string_view& origin, std::string_view& path) {
  const bool https = url.starts_with("https://");
  if (!https && !url.starts_with("http://")) return false;
  const std::size_t authority = https ? 8 : 7;
  const auto slash = url.find('/', authority);
  origin = url.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  return origin.size() > authority;
}

std::string_view host_of(std::string_view origin) {
  std::string_view authority = origin.substr(origin.find("://") + 3);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    return authority.substr(1, authority.find(']') - 1);
  }
  return authority.substr(0, authority.find(':'));
}

// https://, or http:// to loopback; no fragment.
bool acceptable_endpoint(std::string_view url) {
  std::string_view origin;
  std::string_view path;
  if (!split_url(url, origin, path) || url.find('#') != std::string_view::npos) return false;
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  return url.starts_with("https://") || is_loopback_host(host_of(origin));
}

}  // namespace

bool ServerMetadata::lists_s256() const {
  return std::find(code_challenge_methods_supported.begin(), code_challenge_methods_supported.end(),
                   "S256") != code_challenge_methods_supported.end();
}

core::Result<ServerMetadata> parse_server_metadata(std::string_view body,
                                                   std::string_view expected_issuer) {
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return core::fail(core::ErrorClass::Temporary, "discovery.not_json",
                      "the server metadata is not a JSON object (a proxy or portal may have "
                      "answered instead of the identity server)",
                      "check the issuer URL and any proxy settings, then try again");
  }
  ServerMetadata metadata;
  std::string problem;
  const auto text = [&](const char* key, bool endpoint) {
    const auto found = document.find(key);
    if (found == document.end() || found->is_null()) return std::string();
    if (!found->is_string()) {
      if (problem.empty()) problem = fmt::format("\"{}\" is not a string", key);
      return std::string();
    }
    const std::string& value = found->get_ref<const std::string&>();
    if (endpoint && !acceptable_endpoint(value) && problem.empty()) {
      problem = fmt::format("\"{}\" is \"{}\", not an https:// URL without a fragment", key,
                            shown(value));
    }
    return value;
  };
  metadata.issuer = text("issuer", false);
  metadata.authorization_endpoint = text("authorization_endpoint", true);
  metadata.token_endpoint = text("token_endpoint", true);
  metadata.device_authorization_endpoint = text("device_authorization_endpoint", true);
  metadata.revocation_endpoint = text("revocation_endpoint", true);
  metadata.introspection_endpoint = text("introspection_endpoint", true);
  if (!problem.empty()) return refuse("bad_metadata", "in the server metadata, " + problem);

  if (metadata.issuer.empty()) {
    return refuse("no_issuer", "the server metadata does not name its issuer");
  }
  if (metadata.issuer != expected_issuer) {
    return refuse("issuer_mismatch",
                  fmt::format("the server metadata names the issuer \"{}\", not the configured "
                              "\"{}\"; it is refused so that sign-ins cannot be sent to another "
                              "server",
                              shown(metadata.issuer), shown(expected_issuer)));
  }
  if (metadata.token_endpoint.empty()) {
    return refuse("no_token_endpoint", "the server metadata has no token_endpoint");
  }
  if (const auto methods = document.find("code_challenge_methods_supported");
      methods != document.end() && methods->is_array()) {
    for (const auto& method : *methods) {
      if (method.is_string() && metadata.code_challenge_methods_supported.size() < 16) {
        metadata.code_challenge_methods_supported.push_back(
            core::escape_control_characters(method.get<std::string>()));
      }
    }
  }
  if (const auto iss = document.find("authorization_response_iss_parameter_supported");
      iss != document.end() && iss->is_boolean()) {
    metadata.authorization_response_iss_parameter_supported = iss->get<bool>();
  }
  return metadata;
}

std::vector<std::string> metadata_urls(std::string_view issuer) {
  std::string_view trimmed = issuer;
  while (trimmed.ends_with('/')) trimmed.remove_suffix(1);
  std::vector<std::string> urls;
  urls.push_back(fmt::format("{}/.well-known/openid-configuration", trimmed));
  std::string_view origin;
  std::string_view path;
  if (split_url(trimmed, origin, path)) {
    urls.push_back(fmt::format("{}/.well-known/oauth-authorization-server{}", origin, path));
  }
  return urls;
}

core::Result<ServerMetadata> discover_server(HttpClient& http, const std::string& issuer) {
  if (!acceptable_endpoint(issuer) || issuer.find('?') != std::string::npos) {
    return core::fail(core::ErrorClass::Config, "discovery.bad_issuer",
                      fmt::format("the issuer \"{}\" is not an https:// URL without query or "
                                  "fragment",
                                  shown(issuer)),
                      "set the account's issuer to the provider's issuer URL");
  }
  std::vector<std::string> tried;
  for (const std::string& url : metadata_urls(issuer)) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.headers = {"Accept: application/json"};
    auto response = http.perform(request);
    if (!response) return core::fail(std::move(response.error().context("fetching " + url)));
    if (response->status == 200) {
      auto metadata = parse_server_metadata(response->body, issuer);
      if (!metadata) metadata.error().context(fmt::format("reading {}", url));
      return metadata;
    }
    tried.push_back(fmt::format("{} answered HTTP {}", url, response->status));
    if (response->status >= 500 || response->status < 400) {
      return core::fail(core::ErrorClass::Temporary, "discovery.unavailable",
                        fmt::format("the server metadata could not be read: {}", tried.back()),
                        "try again later; if it persists, check the issuer URL");
    }
  }
  std::string list;
  for (const auto& entry : tried) list += (list.empty() ? "" : "; ") + entry;
  return core::fail(core::ErrorClass::Config, "discovery.not_found",
                    fmt::format("the issuer publishes no server metadata: {}", list),
                    std::string(kRemedy));
}

}  // namespace mailoauth::oauth2
