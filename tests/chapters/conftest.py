import pytest

pytestmark = pytest.mark.notebook
