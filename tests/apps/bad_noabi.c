/* SPDX-License-Identifier: BSD-3-Clause */
/* A shared object with no tern_app_descriptor: the loader must refuse it. */
int not_a_tern_app(void);

int
not_a_tern_app(void)
{
	return 42;
}
