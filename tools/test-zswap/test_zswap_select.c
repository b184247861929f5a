// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's zswap selftest, tools/testing/selftests/cgroup/test_zswap.c
 * of the patched tree, built unchanged with its main() renamed, run by the
 * main() below, which takes the names of tests to leave out:
 *
 *   test_zswap_select [-x TEST]...
 *
 * The guest suite leaves out test_no_kmem_bypass: it lowers min_free_kbytes
 * to push the whole guest to its low watermark, where kmemleak cannot
 * allocate its metadata and disables itself for the rest of the boot.
 */
#define main test_zswap_main
#include "test_zswap.c"
#undef main

static bool left_out(const char *name, int argc, char **argv)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-x") && !strcmp(argv[i + 1], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	char root[PATH_MAX];
	int i;

	for (i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "-x") || i + 1 >= argc) {
			fprintf(stderr, "usage: %s [-x TEST]...\n", argv[0]);
			return 2;
		}
	}

	page_size = sysconf(_SC_PAGE_SIZE);
	if (page_size <= 0)
		page_size = BUF_SIZE;

	ksft_print_header();
	if (cg_find_unified_root(root, sizeof(root), NULL))
		ksft_exit_skip("cgroup v2 isn't mounted\n");
	check_zswap_enabled();
	if (cg_read_strstr(root, "cgroup.controllers", "memory"))
		ksft_exit_skip("memory controller isn't available\n");
	if (cg_read_strstr(root, "cgroup.subtree_control", "memory") &&
	    cg_write(root, "cgroup.subtree_control", "+memory"))
		ksft_exit_skip("Failed to set memory controller\n");

	ksft_set_plan(ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (left_out(tests[i].name, argc, argv)) {
			ksft_test_result_skip("%s (left out)\n", tests[i].name);
			continue;
		}
		switch (tests[i].fn(root)) {
		case KSFT_PASS:
			ksft_test_result_pass("%s\n", tests[i].name);
			break;
		case KSFT_SKIP:
			ksft_test_result_skip("%s\n", tests[i].name);
			break;
		default:
			ksft_test_result_fail("%s\n", tests[i].name);
			break;
		}
	}
	ksft_finished();
}
