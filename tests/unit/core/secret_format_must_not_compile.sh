#!/usr/bin/env bash
# Proves that printing a Secret is a compile error, not a convention: compiles
# small programs that stream or fmt-format a Secret and expects each to fail
# because of Secret, and compiles the same programs using redacted()/reveal()
# and expects them to succeed (so a broken include path cannot pass the test).
# Usage: secret_format_must_not_compile.sh CXX SOURCE_DIR
set -u
cxx=$1
src=$2
flags=(-std=c++23 -fsyntax-only -I"$src/src" -x c++ -)

compile() { printf '%s\n' "$1" | "$cxx" "${flags[@]}" 2>&1; }

prelude='#include <mailoauth/core/secret.hpp>
#include <fmt/format.h>
#include <iostream>
#include <sstream>
using mailoauth::core::Secret;'

status=0
for body in \
  'void f(const Secret& s) { std::cout << s; }' \
  'void f(const Secret& s) { std::ostringstream o; o << s; }' \
  'std::string f(const Secret& s) { return fmt::format("{}", s); }' \
  'std::string f(const Secret& s) { return std::string(s); }' \
  'void f(const Secret& s) { Secret copy = s; }'; do
  if output=$(compile "$prelude $body"); then
    echo "FAIL: compiled, but must not: $body"
    status=1
  elif ! grep -q 'Secret' <<<"$output"; then
    echo "FAIL: failed for another reason than Secret: $body"
    echo "$output" | head -5
    status=1
  else
    echo "ok: refused: $body"
  fi
done
for body in \
  'void f(const Secret& s) { std::cout << mailoauth::core::redacted(s); }' \
  'std::string f(const Secret& s) { return fmt::format("{}", s.reveal()); }' \
  'void f(const Secret& s) { Secret copy = s.clone(); }'; do
  if output=$(compile "$prelude $body"); then
    echo "ok: compiles: $body"
  else
    echo "FAIL: control program did not compile: $body"
    echo "$output" | head -5
    status=1
  fi
done
exit $status
