// The libcurl easy interface behind HttpClient. One CURL handle per client,
// reset before each request and reused so keep-alive connections survive
// between a token request and the next. Every option that matters for safety
// is set explicitly rather than trusting libcurl's defaults of the day.
//
// libcurl is loaded with dlopen() on the first request, not linked: it drags in
// some thirty libraries (TLS, Kerberos, LDAP, SSH, IDN, ...) whose loading cost
// ~18 ms per process on the reference machine, which every cached `token get`
// and every Nagios check would pay without ever sending a request
// (bench/results/token_cache.md). The function table's types come from curl.h
// via decltype, so they cannot drift from the real signatures.
#include "mailoauth/oauth2/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/version.hpp"

namespace mailoauth::oauth2 {

namespace {

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_url) url;
  decltype(&::curl_url_cleanup) url_cleanup;
  decltype(&::curl_url_set) url_set;
  decltype(&::curl_url_get) url_get;
  decltype(&::curl_free) free;
  decltype(&::curl_getdate) getdate;
};

// The process-wide table, loaded and initialised once; nullptr with a reason
// when libcurl cannot be loaded.
const CurlApi* curl_api(std::string* why = nullptr) {
  static std::string failure;
  static const CurlApi* api = []() -> const CurlApi* {
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* error = ::dlerror();
      failure = error != nullptr ? error : "dlopen failed";
      return nullptr;
    }
    static CurlApi table{};
    bool complete = true;
    const auto resolve = [&](auto& slot, const char* name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(::dlsym(library, name));
      complete = complete && slot != nullptr;
    };
    resolve(table.global_init, "curl_global_init");
    resolve(table.easy_init, "curl_easy_init");
    resolve(table.easy_cleanup, "curl_easy_cleanup");
    resolve(table.easy_reset, "curl_easy_reset");
    resolve(table.easy_setopt, "curl_easy_setopt");
    resolve(table.easy_perform, "curl_easy_perform");
    resolve(table.easy_getinfo, "curl_easy_getinfo");
    resolve(table.easy_strerror, "curl_easy_strerror");
    resolve(table.slist_append, "curl_slist_append");
    resolve(table.slist_free_all, "curl_slist_free_all");
    resolve(table.url, "curl_url");
    resolve(table.url_cleanup, "curl_url_cleanup");
    resolve(table.url_set, "curl_url_set");
    resolve(table.url_get, "curl_url_get");
    resolve(table.free, "curl_free");
    resolve(table.getdate, "curl_getdate");
    if (!complete) {
      failure = "libcurl.so.4 lacks a function mailoauth needs (libcurl 7.85 or newer is required)";
      return nullptr;
    }
    if (table.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      failure = "curl_global_init failed";
      return nullptr;
    }
    return &table;
  }();
  if (api == nullptr && why != nullptr) *why = failure;
  return api;
}

core::Error curl_unavailable() {
  std::string why;
  curl_api(&why);
  return core::Error(core::ErrorClass::Config, "http.no_libcurl",
                     fmt::format("libcurl cannot be loaded: {}", why),
                     "install libcurl (Debian: apt-get install libcurl4)");
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_api()->slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_api()->url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_api()->free(text); }
};

struct Transfer {
  HttpResponse response;
  std::size_t limit = 0;
  bool too_large = false;
  core::Logger* logger = nullptr;
  // Bodies are traced whole, once complete: a credential split across TCP
  // segments is only recognisable (and redacted) in the reassembled body.
  std::string traced_request_body;
  std::string traced_response_body;
};

void trace_lines(core::Logger& logger, std::string_view direction, std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) logger.wire(direction, line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// Traces a buffered body and wipes it (it may hold a secret or a token).
void flush_traced_body(core::Logger& logger, std::string_view direction, std::string& body) {
  trace_lines(logger, direction, body);
  core::secure_wipe(body.data(), body.size());
  body.clear();
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->limit) {
    transfer->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

bool header_is(std::string_view line, std::string_view name) {
  return line.size() > name.size() && line[name.size()] == ':' && core::istarts_with(line, name);
}

std::string_view header_value(std::string_view line, std::size_t name_size) {
  std::string_view value = line.substr(name_size + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  return value;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue): start over
    transfer->response.retry_after.reset();
    transfer->response.content_type.clear();
    transfer->response.headers.clear();
    return size * count;
  }
  if (const auto colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
    transfer->response.headers.emplace_back(std::string(line.substr(0, colon)),
                                            std::string(header_value(line, colon)));
  }
  if (header_is(line, "retry-after")) {
    transfer->response.retry_after =
        parse_retry_after(header_value(line, 11), std::chrono::system_clock::now());
  } else if (header_is(line, "content-type")) {
    transfer->response.content_type = std::string(header_value(line, 12));
  }
  return size * count;
}

int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->logger == nullptr) return 0;
  // Bodies are collected (bounded by the response limit) and traced when the
  // other side speaks or the transfer ends; headers and curl's notes at once.
  const auto collect = [&](std::string& body) {
    if (body.size() + size <= transfer->limit) body.append(data, size);
  };
  switch (type) {
    case CURLINFO_DATA_OUT:
      collect(transfer->traced_request_body);
      return 0;
    case CURLINFO_DATA_IN:
      collect(transfer->traced_response_body);
      return 0;
    case CURLINFO_HEADER_OUT:
      trace_lines(*transfer->logger, "C", std::string_view(data, size));
      return 0;
    case CURLINFO_HEADER_IN:
      flush_traced_body(*transfer->logger, "C", transfer->traced_request_body);
      trace_lines(*transfer->logger, "S", std::string_view(data, size));
      return 0;
    case CURLINFO_TEXT:
      trace_lines(*transfer->logger, "*", std::string_view(data, size));
      return 0;
    default:
      return 0;  // TLS records are not shown
  }
}

core::Error transport_error(CURLcode code, const char* detail, const std::string& url,
                            std::chrono::milliseconds total_timeout) {
  const std::string text = detail[0] != '\0' ? detail : curl_api()->easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return core::Error(
          core::ErrorClass::Temporary, "http.timeout",
          fmt::format("{}: no answer within {} ms ({})", url, total_timeout.count(), text),
          "check that the server is reachable from here (firewall, proxy)");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return core::Error(core::ErrorClass::Temporary, "http.dns", fmt::format("{}: {}", url, text),
                         "check the host name and this machine's DNS resolver");
    case CURLE_COULDNT_CONNECT:
      return core::Error(core::ErrorClass::Temporary, "http.connect",
                         fmt::format("{}: {}", url, text),
                         "check that the server is up and reachable (and any proxy settings)");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return core::Error(
          core::ErrorClass::Config, "http.tls_verification",
          fmt::format("{}: the server's certificate is not trusted: {}", url, text),
          "install the issuing CA in the system trust store, or name its PEM file as the CA file "
          "(an account's ca_file); "
          "a TLS-inspecting proxy needs its CA there too");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return core::Error(core::ErrorClass::Config, "http.bad_url", fmt::format("{}: {}", url, text),
                         "check the URL in the configuration");
    default:
      return core::Error(core::ErrorClass::Temporary, "http.transport",
                         fmt::format("{}: {}", url, text));
  }
}

// Scheme and host of a URL, via libcurl's own parser (the one that will be used).
core::Result<std::pair<std::string, std::string>> scheme_and_host(const std::string& url) {
  const CurlApi* curl = curl_api();
  if (curl == nullptr) return core::fail(curl_unavailable());
  std::unique_ptr<CURLU, UrlDeleter> handle(curl->url());
  if (!handle || curl->url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return core::fail(
        core::ErrorClass::Config, "http.bad_url",
        fmt::format("\"{}\" is not a valid URL", core::escape_control_characters(url)),
        "use a full URL such as https://login.example.com/oauth2/token");
  }
  char* scheme = nullptr;
  char* host = nullptr;
  curl->url_get(handle.get(), CURLUPART_SCHEME, &scheme, 0);
  curl->url_get(handle.get(), CURLUPART_HOST, &host, 0);
  std::unique_ptr<char, CurlStringDeleter> scheme_owner(scheme);
  std::unique_ptr<char, CurlStringDeleter> host_owner(host);
  return std::pair<std::string, std::string>(scheme ? scheme : "", host ? host : "");
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (core::iequals(key, name)) return value;
  }
  return {};
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  return host.starts_with("127.") &&
         host.find_first_not_of("0123456789.") == std::string_view::npos;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  constexpr std::int64_t kCap = std::int64_t{24} * 3600;
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(std::min(seconds, kCap));
  }
  if (error == std::errc::result_out_of_range) return std::chrono::seconds(kCap);
  const CurlApi* curl = curl_api();
  if (curl == nullptr) return std::nullopt;
  const std::string date(value);
  const time_t when = curl->getdate(date.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const auto delta = std::chrono::system_clock::from_time_t(when) - now;
  const auto whole = std::chrono::duration_cast<std::chrono::seconds>(delta).count();
  return std::chrono::seconds(std::clamp<std::int64_t>(whole, 0, kCap));
}

struct HttpClient::Impl {
  HttpSettings settings;
  core::Logger* logger = nullptr;
  CURL* handle = nullptr;  // made on the first request
  bool last_request_sent = false;
  ~Impl() {
    if (handle != nullptr) curl_api()->easy_cleanup(handle);
  }
};

HttpClient::HttpClient(HttpSettings settings, core::Logger* logger)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  if (impl_->settings.user_agent.empty()) {
    impl_->settings.user_agent = fmt::format("mailoauth/{}", core::version());
  }
  impl_->logger = logger;
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

const HttpSettings& HttpClient::settings() const {
  return impl_->settings;
}

bool HttpClient::last_request_sent() const {
  return impl_->last_request_sent;
}

// Long on purpose (~110 lines): one libcurl transfer is a fixed sequence of
// options that must all be set on the same handle; splitting it would scatter
// the security settings (verification, protocols, redirects) over files.
core::Result<HttpResponse> HttpClient::perform(const HttpRequest& request) {
  const HttpSettings& settings = impl_->settings;
  impl_->last_request_sent = false;
  const CurlApi* api = curl_api();
  if (api == nullptr) return core::fail(curl_unavailable());
  if (impl_->handle == nullptr) impl_->handle = api->easy_init();
  CURL* curl = impl_->handle;
  if (curl == nullptr) {
    return core::fail(core::ErrorClass::Bug, "http.init", "libcurl could not create a handle");
  }
  auto target = scheme_and_host(request.url);
  if (!target) return core::fail(target.error());
  const auto& [scheme, host] = *target;
  if (scheme != "https" && scheme != "http") {
    return core::fail(
        core::ErrorClass::Config, "http.bad_url",
        fmt::format("{}: only https:// (and http:// to this machine) is allowed", request.url));
  }
  if (scheme == "http" && !is_loopback_host(host) && !settings.allow_insecure_http) {
    return core::fail(
        core::ErrorClass::Config, "http.insecure",
        fmt::format("{}: refusing to send credentials over plain HTTP to {}", request.url, host),
        "use the https:// URL of the identity server");
  }
  if (!settings.verify_tls && impl_->logger != nullptr) {
    impl_->logger->warn(
        "TLS certificate verification is OFF for this request: anyone on the "
        "path can read the credentials",
        {{"url", request.url}});
  }

  api->easy_reset(curl);
  Transfer transfer;
  transfer.limit = settings.max_response_size;
  transfer.logger = impl_->logger != nullptr && impl_->logger->enabled(core::LogLevel::Trace)
                        ? impl_->logger
                        : nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  const auto add_header = [&headers, api](const std::string& line) {
    headers.reset(api->slist_append(headers.release(), line.c_str()));
  };
  for (const auto& header : request.headers) add_header(header);
  if (!request.body.empty() || request.method == "POST") {
    add_header("Content-Type: " + request.content_type);
  }
  add_header("Accept: application/json");
  add_header("Expect:");  // no 100-continue round trip
  if (!request.authorization.empty()) {
    std::string authorization = "Authorization: ";
    authorization += request.authorization.reveal();
    add_header(authorization);  // curl copies the line
    core::secure_wipe(authorization.data(), authorization.size());
  }

  api->easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  api->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  api->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings.connect_timeout.count()));
  const std::chrono::milliseconds total_timeout =
      request.total_timeout.value_or(settings.total_timeout);
  api->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(total_timeout.count()));
  api->easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  api->easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, settings.verify_tls ? 1L : 0L);
  api->easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, settings.verify_tls ? 2L : 0L);
  if (!settings.ca_file.empty()) api->easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str());
  api->easy_setopt(curl, CURLOPT_USERAGENT, settings.user_agent.c_str());
  api->easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  api->easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  api->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  api->easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  api->easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  api->easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  api->easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  if (transfer.logger != nullptr) {
    api->easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
    api->easy_setopt(curl, CURLOPT_DEBUGDATA, &transfer);
    api->easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  }
  // A body goes out the POST way, under the request's own method when that
  // is not POST (Graph's upload sessions PUT their chunks).
  if (request.method == "POST" || (!request.body.empty() && request.method != "GET")) {
    api->easy_setopt(curl, CURLOPT_POST, 1L);
    // Never NULL: curl would read the body from stdin (a zero-byte POST is "" and size 0).
    api->easy_setopt(curl, CURLOPT_POSTFIELDS,
                     request.body.empty() ? "" : request.body.reveal().data());
    api->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method != "POST" && request.method != "GET") {
    api->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = api->easy_perform(curl);
  api->easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);  // the list dies with this call
  long request_size = 0;                                // bytes of request headers sent
  curl_off_t uploaded = 0;
  api->easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_size);
  api->easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  impl_->last_request_sent =
      request_size > 0 && uploaded >= static_cast<curl_off_t>(request.body.size());
  if (transfer.logger != nullptr) {
    flush_traced_body(*transfer.logger, "C", transfer.traced_request_body);
    flush_traced_body(*transfer.logger, "S", transfer.traced_response_body);
  }
  if (transfer.too_large) {
    return core::fail(core::ErrorClass::Permanent, "http.too_large",
                      fmt::format("{}: the answer is larger than {} bytes; refusing to read more",
                                  request.url, settings.max_response_size));
  }
  if (code != CURLE_OK)
    return core::fail(transport_error(code, error_buffer, request.url, total_timeout));
  api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace mailoauth::oauth2
