/* SPDX-License-Identifier: MIT */
/* core/text.h - encoding checks of the strings a store keeps (private to
 * libasgml; asgml-store(5): ids are ASCII, every other string UTF-8).
 *
 *   asgml_utf8_bad(s)   offset of the first byte of the NUL-terminated s
 *                       that does not begin a well-formed UTF-8 sequence
 *                       (RFC 3629: no overlong forms, no surrogates, nothing
 *                       above U+10FFFF; libunistring's u8_check decides),
 *                       -1 when s is well-formed
 *   asgml_ascii_bad(s)  offset of the first byte >= 0x80, -1 when none */
#ifndef ASGML_CORE_TEXT_H
#define ASGML_CORE_TEXT_H

long asgml_utf8_bad(const char *s);
long asgml_ascii_bad(const char *s);

#endif
