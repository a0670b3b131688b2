"""QuickForest: the random forest's answers for a drawing without joblib's per-tree overhead."""

from __future__ import annotations

import pickle

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from mnist_app.models import MODELS, store
from mnist_app.models.quick_forest import FEW_ROWS, QuickForest, load_quick_forest


def small_forest() -> tuple[RandomForestClassifier, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.random((300, 784), dtype=np.float32)
    labels = rng.integers(0, 10, 300)
    return RandomForestClassifier(n_estimators=12, random_state=0).fit(features, labels), features


def test_same_probabilities_and_labels_as_the_forest_for_one_few_and_many_rows() -> None:
    forest, features = small_forest()
    quick = QuickForest(forest)
    for rows in (1, 7, FEW_ROWS, FEW_ROWS + 1, 300):
        rows_x = features[:rows]
        np.testing.assert_allclose(quick.predict_proba(rows_x), forest.predict_proba(rows_x))
        np.testing.assert_array_equal(quick.predict(features[:rows]), forest.predict(features[:rows]))
    single = features[0].astype(np.float64)[np.newaxis]  # any float rows, as predict_digits may pass
    np.testing.assert_allclose(quick.predict_proba(single), forest.predict_proba(single))


def test_every_other_attribute_is_the_forests_and_it_pickles() -> None:
    forest, features = small_forest()
    quick = QuickForest(forest)
    assert quick.estimators_ is forest.estimators_ and list(quick.classes_) == list(range(10))
    again = pickle.loads(pickle.dumps(quick))
    np.testing.assert_allclose(again.predict_proba(features[:3]), forest.predict_proba(features[:3]))


def test_the_random_forest_spec_loads_its_cache_file_as_a_quick_forest() -> None:
    forest, features = small_forest()
    loaded = load_quick_forest(pickle.loads)(pickle.dumps(forest))
    assert isinstance(loaded, QuickForest)
    np.testing.assert_allclose(loaded.predict_proba(features[:2]), forest.predict_proba(features[:2]))
    spec = MODELS["random_forest"]
    assert spec.dump is store.signed_pickle_dump  # the file format is unchanged: no retraining
    assert isinstance(spec.load(spec.dump(forest)), QuickForest)
