/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

#define NAME_(id, name, desc) #name,
#define DESC_(id, name, desc) desc,

const char *const tern_ctr_names[TERN_CTR_MAX] = { TERN_CTR_LIST(NAME_) };
const char *const tern_ctr_descs[TERN_CTR_MAX] = { TERN_CTR_LIST(DESC_) };
const char *const tern_wctr_names[TERN_WCTR_MAX] = { TERN_WCTR_LIST(NAME_) };
const char *const tern_wctr_descs[TERN_WCTR_MAX] = { TERN_WCTR_LIST(DESC_) };
