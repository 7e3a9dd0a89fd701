"""Settings for the statistics benchmark's server: the project's, plus a bare view for comparison."""

from liaoning_tt.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.stats_bench_urls"
