//! Catalog throughput: `gen-catalog` output (target: at least 200k tracks/s in release) and
//! parsing of catalog lines as `segue import` does it.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use segue::catalog::generate::{generate, GenOptions};

const TRACKS: u64 = 50_000;

fn opts() -> GenOptions {
    GenOptions {
        tracks: TRACKS,
        seed: 42,
        today_days: 20_600,
    }
}

fn gen_catalog(c: &mut Criterion) {
    let mut g = c.benchmark_group("gen_catalog");
    g.throughput(Throughput::Elements(TRACKS));
    g.sample_size(10);
    g.bench_function("50k_tracks_to_memory", |b| {
        let mut buf = Vec::with_capacity(32 << 20);
        b.iter(|| {
            buf.clear();
            generate(&mut buf, &opts()).unwrap();
        })
    });
    g.finish();
}

fn parse_lines(c: &mut Criterion) {
    let mut buf = Vec::new();
    generate(&mut buf, &opts()).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines = text.lines().count() as u64;
    let mut g = c.benchmark_group("import_parse");
    g.throughput(Throughput::Elements(lines));
    g.sample_size(10);
    g.bench_function("parse_and_validate", |b| {
        b.iter(|| {
            for line in text.lines() {
                segue::catalog::import::parse_line(line).unwrap();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, gen_catalog, parse_lines);
criterion_main!(benches);
