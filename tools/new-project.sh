#!/usr/bin/env bash
# Creates the files every Nx project here has. Usage:
#   tools/new-project.sh <dir> <name> <import-alias|-> <tags comma-separated> [int]
# "int" adds an int-test target (tests against the real servers deploy/local starts).
set -euo pipefail
dir=$1 name=$2 alias=$3 tags=$4 int=${5:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/$dir/src"
cd "$root/$dir"
rel=$(realpath --relative-to="$PWD" "$root")
tagjson=$(printf '%s' "$tags" | awk -F, '{for(i=1;i<=NF;i++){printf "%s\"%s\"", (i>1?", ":""), $i}}')
targets='"lint": {}, "typecheck": {}, "test": {}'
[ "$int" = int ] && targets="$targets, \"int-test\": {}"
cat > project.json <<JSON
{
  "name": "$name",
  "\$schema": "$rel/node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "$(case $dir in apps/*) echo application;; *) echo library;; esac)",
  "tags": [$tagjson],
  "targets": { $targets }
}
JSON
cat > tsconfig.json <<JSON
{
  "extends": "$rel/tsconfig.base.json",
  "include": ["src/**/*.ts"]
}
JSON
cat > jest.config.cjs <<JS
module.exports = {
  ...require('$rel/jest.preset.cjs'),
  displayName: '$name',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
JS
if [ "$int" = int ]; then
cat > jest.int.config.cjs <<JS
// Integration tests: they talk to the real servers that deploy/local starts.
module.exports = {
  ...require('$rel/jest.preset.cjs'),
  displayName: '$name (integration)',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 120000,
};
JS
fi
[ -f src/index.ts ] || echo "export {};" > src/index.ts
if [ "$alias" != - ]; then
  node -e '
    const fs=require("fs"); const f=process.argv[1]+"/tsconfig.base.json";
    const j=JSON.parse(fs.readFileSync(f,"utf8"));
    j.compilerOptions.paths[process.argv[2]]=[process.argv[3]+"/src/index.ts"];
    j.compilerOptions.paths=Object.fromEntries(Object.entries(j.compilerOptions.paths).sort());
    fs.writeFileSync(f, JSON.stringify(j,null,2)+"\n");' "$root" "$alias" "$dir"
fi
echo "created $name in $dir"
