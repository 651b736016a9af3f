import pytest

from automl_meta import errors


@pytest.mark.parametrize("cls", [errors.DataError, errors.ConfigError, errors.StorageError, errors.MetaModelError])
def test_every_error_derives_from_the_one_base_class(cls):
    assert issubclass(cls, errors.AutoMetaError)
    with pytest.raises(errors.AutoMetaError, match="boom"):
        raise cls("boom")


def test_value_errors_are_also_value_errors():
    # Callers of a scikit-learn style API catch ValueError for bad input.
    assert issubclass(errors.DataError, ValueError)
    assert issubclass(errors.ConfigError, ValueError)
