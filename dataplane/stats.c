/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

const char *const tern_ctr_names[TERN_CTR_MAX] = {
	[TERN_CTR_RX] = "rx",
	[TERN_CTR_TX] = "tx",
	[TERN_CTR_DROP_MALFORMED] = "drop_malformed",
	[TERN_CTR_DROP_NOT_FOR_US] = "drop_not_for_us",
	[TERN_CTR_DROP_NO_HANDLER] = "drop_no_handler",
	[TERN_CTR_DROP_BAD_CKSUM] = "drop_bad_cksum",
	[TERN_CTR_DROP_TX_FULL] = "drop_tx_full",
	[TERN_CTR_DROP_UNSUPPORTED] = "drop_unsupported",
	[TERN_CTR_DROP_APP] = "drop_app",
	[TERN_CTR_DROP_BAD_VERDICT] = "drop_bad_verdict",
};
