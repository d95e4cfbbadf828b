/*
 * banned.h: functions Coffer never calls. Each one has a safer replacement
 * in the project (git's banned.h is the model):
 *   strcpy, strcat, strncpy, strncat  -> cf_buf_add*, snprintf with a check
 *   sprintf, vsprintf                 -> snprintf, cf_buf_addf
 *   strtok                            -> memchr over a cf_str
 *   gets                              -> nothing
 *   atoi, atol                        -> cf_parse_u64 (digits only, overflow checked)
 * Included last by every .c file of the project, after the system headers.
 */
#ifndef COFFER_BANNED_H
#define COFFER_BANNED_H

#define CF_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) CF_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CF_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CF_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) CF_BANNED(strncat)
#undef sprintf
#define sprintf(...) CF_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CF_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) CF_BANNED(strtok)
#undef gets
#define gets(x) CF_BANNED(gets)
#undef atoi
#define atoi(x) CF_BANNED(atoi)
#undef atol
#define atol(x) CF_BANNED(atol)

#endif
