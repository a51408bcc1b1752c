# Sourced by .ci/bootstrap (and by tests/integration/setup.rs with stub commands): the Python
# package's tests (crates/cortexplorer-py) after `cargo test`.
#
# A venv (PY_VENV, default target/pyvenv) from the system's python3 (Debian: python3-venv);
# maturin, pytest, nibabel, mypy and matplotlib from the package index (pulse2percept too when it
# installs); the wheel built with the dev
# profile (the workspace's dependencies are optimised in it, and `cargo test` has built most of
# them already) and installed into the venv; then pytest, with the program the viewer tests
# start (CORTEXPLORER_BIN, default the test build's target/debug/cortexplorer). Every failure
# says which step failed and returns non-zero.

PY_TEST_REQUIREMENTS=("maturin>=1.16,<2" "pytest>=8" "nibabel>=5" "mypy>=1.10" "numpy>=1.24" "matplotlib>=3.7")
# compared with when it installs (its test is skipped, and says so, when it does not)
PY_TEST_OPTIONAL=("pulse2percept==0.11.0")

python_tests() {
  local venv=${PY_VENV:-target/pyvenv} wheels=target/py-wheels
  if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv"; then
      echo "python tests: 'python3 -m venv' failed (install python3-venv)"
      return 1
    fi
  fi
  if ! "$venv/bin/python" -m pip install --quiet "${PY_TEST_REQUIREMENTS[@]}"; then
    echo "python tests: pip could not install ${PY_TEST_REQUIREMENTS[*]}"
    return 1
  fi
  "$venv/bin/python" -m pip install --quiet "${PY_TEST_OPTIONAL[@]}" ||
    echo "python tests: ${PY_TEST_OPTIONAL[*]} did not install (its comparison is skipped)"
  rm -rf "$wheels"
  if ! "$venv/bin/maturin" build --profile dev --quiet -m crates/cortexplorer-py/Cargo.toml \
      -i "$venv/bin/python" -o "$wheels"; then
    echo "python tests: maturin could not build the wheel"
    return 1
  fi
  local wheel
  wheel=$(ls "$wheels"/cortexplorer-*.whl 2>/dev/null | head -n 1)
  if [ -z "$wheel" ]; then
    echo "python tests: no wheel in $wheels"
    return 1
  fi
  "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel" || {
    echo "python tests: the wheel did not install"
    return 1
  }
  echo "python tests: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) kB)"
  CORTEXPLORER_BIN="${CORTEXPLORER_BIN:-$PWD/target/debug/cortexplorer}" \
    "$venv/bin/python" -m pytest -q -rs crates/cortexplorer-py/tests
}
