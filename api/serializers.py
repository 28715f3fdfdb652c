"""Base serializer of the API."""

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that introspects its model once per class, not once per request.

    DRF rebuilds every field from the model's metadata for each serializer instance (about
    1.5 ms for an item); the result depends only on the class, so it is built once and each
    instance gets a deep copy (unbound fields, as DRF's own declared fields are).
    """

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_field_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._field_prototype = prototype
        return copy.deepcopy(prototype)
