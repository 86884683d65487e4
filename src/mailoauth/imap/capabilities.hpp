// What a server says it can do (RFC 3501 section 7.2.1), read from a
// "* CAPABILITY ..." response or from the [CAPABILITY ...] code many servers
// put in their greeting and in the tagged OK of LOGIN/AUTHENTICATE, which
// saves a round trip. Names are compared ignoring ASCII case, as the RFC asks,
// but kept as sent, because lsimap prints them as the server spelled them,
// sorted byte-wise and without duplicates, as check-mail's lsimap does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

struct Capabilities {
  std::vector<std::string> names;  // as sent, in the server's order

  bool has(std::string_view name) const;
  // The SASL mechanisms of AUTH=... entries, upper case, in the server's order.
  std::vector<std::string> auth_mechanisms() const;
  bool offers_mechanism(std::string_view mechanism) const;
  bool login_disabled() const { return has("LOGINDISABLED"); }
  bool sasl_ir() const { return has("SASL-IR"); }
  // Sorted byte-wise, duplicates removed: lsimap's "Capability: X" lines.
  std::vector<std::string> sorted() const;
};

// From "* CAPABILITY ..." or any status response with a [CAPABILITY ...] code;
// an error when the response carries neither or the list holds non-atoms.
core::Result<Capabilities> capabilities_from(const Response& response);

}  // namespace mailoauth::imap
