/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * name.h -- the one spelling of a domain name in presentation form that
 * routerd stores and compares: lower case, with the final dot
 * ("www.example.com."). The config, the state, the view's switch table and
 * the control commands all normalise with name_normalize, so that
 * "WWW.Example.com" and "www.example.com." name the same switch.
 */
#ifndef ROUTERD_NAME_H
#define ROUTERD_NAME_H

#include <stddef.h>

/* Longest presentation name with its final dot (RFC 1035 2.3.4: 255 octets
 * in wire form are 253 characters and the dot), plus the NUL. */
#define NAME_TEXT_MAX 256

/* NAME lower-cased, with the final dot, into OUT (CAP bytes). Returns 0, or
 * -EINVAL when NAME is empty or does not fit. */
int name_normalize(const char *name, char *out, size_t cap);

#endif
