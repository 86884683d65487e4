// URL building with RFC 3986 escaping (form_escape leaves only unreserved
// characters; a space becomes '+', which every authorization server decodes
// in a query), and redirect parsing that trusts nothing in the target.
#include "mailoauth/oauth2/authorization_code.hpp"

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/form.hpp"

namespace mailoauth::oauth2 {

namespace {

using core::ErrorClass;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

core::Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return core::fail(ErrorClass::Permanent, "oauth2.bad_redirect",
                          "the redirect has a truncated %-escape");
      }
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        return core::fail(ErrorClass::Permanent, "oauth2.bad_redirect",
                          "the redirect has an invalid %-escape");
      }
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (c == '\0' || c == '\r' || c == '\n') {
      return core::fail(ErrorClass::Permanent, "oauth2.bad_redirect",
                        "the redirect carries NUL, CR or LF");
    }
    out.push_back(c);
  }
  return out;
}

std::string remedy_for(std::string_view error) {
  if (error == "access_denied") {
    return "the sign-in was cancelled or refused; run `mailoauth token login` again and "
           "accept the permissions (an admin may have to grant consent first: AADSTS65001)";
  }
  if (error == "consent_required" || error == "interaction_required" || error == "login_required") {
    return "sign in again in a browser; an admin may have to grant consent for the app";
  }
  if (error == "invalid_scope") return "check the account's scopes or preset";
  if (error == "unauthorized_client" || error == "invalid_client") {
    return "check the client id, and that the app allows this redirect (Microsoft: platform "
           "\"Mobile and desktop applications\" with http://localhost)";
  }
  if (error == "invalid_request") {
    return "check the redirect URI registered for the app (it must allow http://localhost or "
           "http://127.0.0.1)";
  }
  return "see the provider's description above";
}

}  // namespace

std::string authorization_url(const AuthorizationRequest& request) {
  const std::string scope = join_scopes(request.scopes);
  std::vector<FormField> fields = {
      {"response_type", "code"},
      {"client_id", request.client_id},
      {"redirect_uri", request.redirect_uri},
      {"scope", scope},
      {"state", request.state},
      {"code_challenge", request.code_challenge},
      {"code_challenge_method", "S256"},
  };
  if (!request.login_hint.empty()) fields.emplace_back("login_hint", request.login_hint);
  for (const auto& [name, value] : request.extra_parameters) fields.emplace_back(name, value);
  const char separator = request.authorize_url.find('?') == std::string::npos ? '?' : '&';
  return request.authorize_url + separator + std::string(form_encode(fields).reveal());
}

core::Result<std::vector<std::pair<std::string, std::string>>> parse_query(
    std::string_view target) {
  std::vector<std::pair<std::string, std::string>> parameters;
  const auto question = target.find('?');
  if (question == std::string_view::npos) return parameters;
  std::string_view query = target.substr(question + 1);
  if (const auto hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const auto equals = pair.find('=');
      auto name = percent_decode(pair.substr(0, equals));
      if (!name) return core::fail(name.error());
      auto value = percent_decode(equals == std::string_view::npos ? std::string_view()
                                                                   : pair.substr(equals + 1));
      if (!value) return core::fail(value.error());
      parameters.emplace_back(std::move(*name), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return parameters;
}

core::Result<core::Secret> code_from_redirect(std::string_view target,
                                              std::string_view expected_state,
                                              std::string_view expected_issuer) {
  auto parameters = parse_query(target);
  if (!parameters) return core::fail(parameters.error());
  const auto get = [&](std::string_view name) -> const std::string* {
    const std::string* found = nullptr;
    for (const auto& [key, value] : *parameters) {
      if (key == name) {
        if (found != nullptr) return nullptr;  // repeated: treated as absent, then refused
        found = &value;
      }
    }
    return found;
  };
  const std::string* state = get("state");
  if (state == nullptr || *state != expected_state) {
    return core::fail(ErrorClass::Permanent, "oauth2.state_mismatch",
                      "the redirect's state is not the one this sign-in sent: it belongs to "
                      "another sign-in (or someone tried to inject one); nothing was accepted",
                      "run `mailoauth token login` again and finish it in the browser it opens");
  }
  if (const std::string* issuer = get("iss");
      issuer != nullptr && !expected_issuer.empty() && *issuer != expected_issuer) {
    return core::fail(ErrorClass::Permanent, "oauth2.issuer_mismatch",
                      fmt::format("the redirect comes from issuer {}, not {} (RFC 9207 mix-up "
                                  "defence)",
                                  core::escape_control_characters(*issuer), expected_issuer),
                      "check the account's endpoints");
  }
  if (const std::string* error = get("error"); error != nullptr) {
    const std::string* description = get("error_description");
    return core::fail(
        ErrorClass::Permanent, "oauth2." + core::escape_control_characters(*error),
        fmt::format(
            "the sign-in ended with {}{}", core::escape_control_characters(*error),
            description != nullptr ? ": " + core::escape_control_characters(*description) : ""),
        remedy_for(*error));
  }
  const std::string* code = get("code");
  if (code == nullptr || code->empty()) {
    return core::fail(ErrorClass::Permanent, "oauth2.no_code",
                      "the redirect carries no authorization code",
                      "run `mailoauth token login` again");
  }
  return core::Secret(*code);
}

core::Result<TokenResponse> exchange_code(HttpClient& http, const std::string& token_url,
                                          const ClientIdentity& client, const core::Secret& code,
                                          const std::string& redirect_uri,
                                          const core::Secret& verifier, const RetryPolicy& policy,
                                          Sleeper& sleeper) {
  const std::vector<FormField> fields = {{"grant_type", "authorization_code"},
                                         {"code", code.reveal()},
                                         {"redirect_uri", redirect_uri},
                                         {"code_verifier", verifier.reveal()}};
  return request_token(http, token_url, fields, client, policy, sleeper);
}

}  // namespace mailoauth::oauth2
