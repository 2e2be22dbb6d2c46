#!/bin/sh
# A fake kind / docker / kubectl / lsmod / modprobe for the kind provider's contract tests (installed under each
# of those names). It appends its name and arguments, tab-separated, to $FAKE_LOG, then answers from $FAKE_RULES:
# lines "GLOB|EXIT|OUTPUT|EFFECT". The first GLOB matching "<name> <args...>" wins: OUTPUT ("@FILE" = that file's
# contents, read now) goes to stdout when EXIT is 0 and to stderr otherwise, and EFFECT, if any, runs through sh
# first (so a fake `kind create cluster` can make a later `kind get clusters` list the cluster). No rule: exit 0.
tool=$(basename "$0")
entry=$tool
for arg in "$@"; do entry="$entry	$arg"; done
printf '%s\n' "$entry" >> "$FAKE_LOG"
key=$tool
[ $# -gt 0 ] && key="$tool $*"
[ -f "$FAKE_RULES" ] || exit 0
while IFS='|' read -r glob code out effect; do
  case "$key" in
    $glob)
      [ -n "$effect" ] && sh -c "$effect"
      case "$out" in @*) out=$(cat "${out#@}") ;; esac
      if [ -n "$out" ]; then
        if [ "$code" = 0 ]; then printf '%s\n' "$out"; else printf '%s\n' "$out" >&2; fi
      fi
      exit "$code"
      ;;
  esac
done < "$FAKE_RULES"
exit 0
