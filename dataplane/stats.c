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
	[TERN_CTR_DROP_BACKLOG] = "drop_backlog",
	[TERN_CTR_DROP_BUS_FULL] = "drop_bus_full",
	[TERN_CTR_DROP_HANDOFF] = "drop_handoff",
	[TERN_CTR_DROP_AMPLIFICATION] = "drop_amplification",
	[TERN_CTR_DROP_BAD_SOURCE] = "drop_bad_source",
	[TERN_CTR_DROP_RATE_LIMIT] = "drop_rate_limit",
	[TERN_CTR_DROP_TOO_BIG] = "drop_too_big",
};

const char *const tern_wctr_names[TERN_WCTR_MAX] = {
	[TERN_WCTR_LOOPS] = "loops",
	[TERN_WCTR_IDLE_SLEEPS] = "idle_sleeps",
	[TERN_WCTR_IDLE_SLEPT_NS] = "idle_slept_ns",
	[TERN_WCTR_BUS_MSGS] = "bus_msgs",
	[TERN_WCTR_BUS_NO_APP] = "bus_no_app",
	[TERN_WCTR_BUS_POST_FULL] = "bus_post_full",
	[TERN_WCTR_HANDOFF_OUT] = "handoff_out",
	[TERN_WCTR_HANDOFF_IN] = "handoff_in",
	[TERN_WCTR_STEERED_OUT] = "steered_out",
	[TERN_WCTR_STEERED_IN] = "steered_in",
	[TERN_WCTR_TX_HANDOFF_OUT] = "tx_handoff_out",
	[TERN_WCTR_TX_HANDOFF_IN] = "tx_handoff_in",
	[TERN_WCTR_BUDGET_HITS] = "budget_hits",
	[TERN_WCTR_DEFERRED] = "deferred",
	[TERN_WCTR_PRIO_FLUSH] = "prio_flush",
	[TERN_WCTR_HELD] = "held",
	[TERN_WCTR_MSG_HELD] = "msg_held",
};
