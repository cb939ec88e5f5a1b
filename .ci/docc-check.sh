#!/usr/bin/env bash
# The documentation check: every DocC catalog (Sources/<Module>/<Module>.docc) is built against its
# own module's symbol graph with warnings as errors, so a broken ``Symbol`` link or an unresolved
# <doc:Article> link fails; and the README stays a short introduction (at most 250 lines).
#
#   .ci/docc-check.sh
#
# Warnings that docc raises about `///` comments in Swift sources (not about a catalog's own
# files) fail it as well; DOCC_STRICT_SOURCES=0 reports them without failing (while writing docs).
# Symbol graphs are extracted from the ordinary debug build (.build); docc's output goes to
# .build-docs (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=.build-docs
graphs=$root/$scratch/symbol-graphs        # every module's *.symbols.json, as the compiler writes them
per_module=$root/$scratch/module-graphs    # one folder per catalog: only its module's own graph files
out=$root/$scratch/out
max_readme_lines=250
min_catalogs=4
failures=()

readme_lines=$(wc -l < README.md)
if [ "$readme_lines" -gt "$max_readme_lines" ]; then
  failures+=("README.md has $readme_lines lines, more than $max_readme_lines: the reference belongs in the DocC catalogs")
fi

catalogs=()
for c in Sources/*/*.docc; do [ -d "$c" ] && catalogs+=("$c"); done
if [ "${#catalogs[@]}" -lt "$min_catalogs" ]; then
  failures+=("${#catalogs[@]} DocC catalogs under Sources/, fewer than $min_catalogs")
fi

echo "--- symbol graphs from the debug build (swift build, then swift-symbolgraph-extract per catalog's module)"
# The graphs come from the modules the ordinary debug build already compiled (no second build):
# swift-symbolgraph-extract reads each module's .swiftmodule and the C modules' maps beside it.
swift build
bin=$(swift build --show-bin-path)
triple=$(basename "$(dirname "$bin")")
maps=()
while IFS= read -r map; do maps+=(-Xcc "-fmodule-map-file=$map"); done < <(find "$bin" -maxdepth 2 -name module.modulemap)
rm -rf "$graphs"
mkdir -p "$graphs" "$out"
for catalog in "${catalogs[@]}"; do
  module=$(basename "$catalog" .docc)
  swift-symbolgraph-extract -module-name "$module" -target "$triple" -I "$bin/Modules" "${maps[@]}" \
    -output-dir "$graphs" -minimum-access-level public
done

echo "--- docc convert, one catalog at a time, against its module's symbol graph"
for catalog in "${catalogs[@]}"; do
  module=$(basename "$catalog" .docc)
  dir=$(dirname "$catalog")
  if [ "$(basename "$dir")" != "$module" ]; then
    failures+=("$catalog: a catalog must be named after its module ($(basename "$dir").docc)")
    continue
  fi
  articles=$(find "$catalog" -maxdepth 1 -name '*.md' ! -name "$module.md" | wc -l)
  if [ ! -f "$catalog/$module.md" ]; then
    failures+=("$catalog: no root page $module.md (titled \`\`$module\`\`)")
  fi
  if [ ! -f "$graphs/$module.symbols.json" ]; then
    failures+=("$module: no $module.symbols.json in $graphs (swift-symbolgraph-extract failed above)")
    continue
  fi
  rm -rf "${per_module:?}/$module" "${out:?}/$module"
  mkdir -p "$per_module/$module"
  cp "$graphs/$module.symbols.json" "$per_module/$module/"
  for ext in "$graphs/$module"@*.symbols.json; do
    [ -e "$ext" ] && cp "$ext" "$per_module/$module/"
  done
  diagnostics=$out/$module.diagnostics.json
  rm -f "$diagnostics"
  set +e
  docc convert "$catalog" \
    --additional-symbol-graph-dir "$per_module/$module" \
    --output-dir "$out/$module" \
    --fallback-display-name "$module" --fallback-bundle-identifier "proctor.$module" \
    --diagnostics-file "$diagnostics" \
    --warnings-as-errors > "$out/$module.log" 2>&1
  code=$?
  set -e
  verdict="ok"
  if [ "$code" != 0 ]; then
    # Sort docc's diagnostics: those about the catalog's own files fail the check; those about
    # `///` comments in Swift sources fail too, unless DOCC_STRICT_SOURCES=0.
    if [ -s "$diagnostics" ]; then
      set +e
      python3 - "$diagnostics" "$root" "${DOCC_STRICT_SOURCES:-1}" <<'PY'
import json, sys
from urllib.parse import unquote, urlparse
path, root, strict = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3] == "1"
catalog_issues, source_issues = [], []
for d in json.load(open(path, encoding="utf-8")).get("diagnostics", []):
    src = unquote(urlparse(d.get("source") or "").path)
    line = (d.get("range") or {}).get("start", {}).get("line", "?")
    where = (src[len(root):] if src.startswith(root) else src or "(no file)") + f":{line}"
    text = f"{where}: {d.get('severity', '?')}: {d.get('summary', '')}"
    (source_issues if src.endswith(".swift") else catalog_issues).append(text)
for t in catalog_issues: print("  " + t)
for t in source_issues: print("  " + t + ("" if strict else "   [in a Swift doc comment: reported, not failing]"))
sys.exit(1 if catalog_issues or (strict and source_issues) else (3 if source_issues else 2))
PY
      sorted=$?
      set -e
    else
      sorted=1
    fi
    case "$sorted" in
      3) verdict="ok (Swift doc-comment warnings above)" ;;
      2) verdict="docc exited $code with no diagnostics"; tail -20 "$out/$module.log"
         failures+=("$module: docc convert exited $code (log: $out/$module.log)") ;;
      *) verdict="FAILED"; [ -s "$diagnostics" ] || tail -20 "$out/$module.log"
         failures+=("$module: docc convert reported warnings or errors, listed above (log: $out/$module.log)") ;;
    esac
  fi
  echo "$module: $articles articles ($catalog): $verdict"
done

echo "--- README.md: $readme_lines lines (at most $max_readme_lines); ${#catalogs[@]} catalogs (at least $min_catalogs)"
if [ "${#failures[@]}" -gt 0 ]; then
  printf 'docc-check: %s\n' "${failures[@]}"
  exit 1
fi
echo "docc-check: every catalog builds without warnings"
