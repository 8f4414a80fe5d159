#!/bin/sh
# Runs one GLib unit-test program with TAP output, under valgrind when
# OICALL_VALGRIND=1 (any leak or memory error fails the program).
if [ "${OICALL_VALGRIND:-0}" = 1 ]; then
	exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@" --tap
fi
exec "$@" --tap
