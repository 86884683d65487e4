// Fuzz target for the relay's sender rewrite (relay/sender_rewrite) over a
// message's header as a device sent it: rewrite it with and without
// Reply-To, read it through SenderRewritingReader in small pieces; never
// crash, the body after the header is kept byte for byte, and no CR in the
// output is anything but the start of a line end (a display name cannot
// start a field of its own).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "mailoauth/relay/sender_rewrite.hpp"
#include "mailoauth/relay/sender_rewriting_reader.hpp"

namespace {

std::string_view current_input;

// Stops with what failed and the input (escaped), so a failure is readable.
void expect(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "relay_sender_rewrite: %s; input:\n", what);
  for (const char c : current_input) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 32 && byte < 127 && byte != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", byte);
    }
  }
  std::fputc('\n', stderr);
  std::abort();
}

class StringReader final : public mailoauth::smtp::MessageReader {
 public:
  explicit StringReader(std::string text) : text_(std::move(text)) {}
  mailoauth::core::Result<std::string_view> read(std::size_t max) override {
    const std::size_t count = std::min({max, std::size_t{13}, text_.size() - position_});
    const std::string_view out(text_.data() + position_, count);
    position_ += count;
    return out;
  }
  mailoauth::core::Result<void> rewind() override {
    position_ = 0;
    return {};
  }
  std::uint64_t stored_size() const override { return text_.size(); }

 private:
  std::string text_;
  std::size_t position_ = 0;
};

// Every CR the rewrite wrote is followed by LF, unless the input had it there.
void check_new_lines(std::string_view input, std::string_view output) {
  if (output == input) return;
  const auto end = mailoauth::relay::header_section_end(output);
  const std::string_view header = output.substr(0, end.value_or(output.size()));
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == '\r' && (i + 1 == header.size() || header[i + 1] != '\n') &&
        input.find(header.substr(i, 2)) == std::string_view::npos) {
      expect(false, "a CR the rewrite wrote does not end a line");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::relay;
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  current_input = message;
  const auto end = header_section_end(message);
  expect(!end || *end <= message.size(), "the header ends past the message");
  const std::string_view header = message.substr(0, end.value_or(message.size()));
  for (const bool reply_to : {false, true}) {
    auto result = rewrite_header(header, HeaderRewrite{"relay@contoso.com", reply_to}, 4096);
    if (result) check_new_lines(header, result->text);
    SenderRewritingReader reader(std::make_unique<StringReader>(std::string(message)),
                                 HeaderRewrite{"relay@contoso.com", reply_to}, 4096);
    std::string out;
    for (;;) {
      auto chunk = reader.read(64);
      expect(chunk.has_value(), "reading failed");  // the reader below never fails
      if (chunk->empty()) break;
      out.append(*chunk);
    }
    expect(!end || std::string_view(out).ends_with(message.substr(*end)), "the body changed");
    expect(reader.outcome().skipped.empty() || out == message, "skipped, yet changed");
    expect(reader.outcome().from_rewritten || !reader.outcome().skipped.empty() || out == message,
           "not rewritten, yet changed");
  }
  return 0;
}
