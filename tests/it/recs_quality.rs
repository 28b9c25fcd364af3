//! The recommender against its baselines on synthetic listening with a taste structure: the last
//! 20% of each listener's plays are held out; recall@30 and NDCG@30 of the item–item model must
//! beat most-popular by 2× and random by far. (The larger runs and their timings are in
//! `benches/recs.rs`.)

use segue::catalog::listening::Shape;
use segue::catalog::listening_eval::compare;

#[test]
fn item_item_beats_most_popular_twice_and_random_by_far() {
    let r = compare(Shape::small());
    println!(
        "model {:?}\npopular {:?}\nrandom {:?}",
        r.model, r.popular, r.random
    );
    assert!(
        r.model.users > 100,
        "too few listeners with targets: {}",
        r.model.users
    );
    assert!(
        r.model.recall >= 2.0 * r.popular.recall,
        "recall@30: model {:.4} vs popular {:.4}",
        r.model.recall,
        r.popular.recall
    );
    assert!(
        r.model.ndcg > r.popular.ndcg,
        "{:?} vs {:?}",
        r.model,
        r.popular
    );
    assert!(
        r.model.recall > 5.0 * r.random.recall,
        "{:?} vs {:?}",
        r.model,
        r.random
    );
    assert!(
        r.model.coverage > r.popular.coverage,
        "the model reaches more of the catalog"
    );
}
