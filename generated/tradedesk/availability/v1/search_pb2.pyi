from tradedesk.availability.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QualityTarget(_message.Message):
    __slots__ = ("value", "tolerance", "tolerance_percent", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: _resources_pb2.QualityValue
    tolerance: float
    tolerance_percent: float
    min: float
    max: float
    def __init__(self, value: _Optional[_Union[_resources_pb2.QualityValue, _Mapping]] = ..., tolerance: _Optional[float] = ..., tolerance_percent: _Optional[float] = ..., min: _Optional[float] = ..., max: _Optional[float] = ...) -> None: ...

class ScoreWeights(_message.Message):
    __slots__ = ("vector", "quality", "price", "confidence", "distance")
    VECTOR_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    vector: float
    quality: float
    price: float
    confidence: float
    distance: float
    def __init__(self, vector: _Optional[float] = ..., quality: _Optional[float] = ..., price: _Optional[float] = ..., confidence: _Optional[float] = ..., distance: _Optional[float] = ...) -> None: ...

class ScoreFactor(_message.Message):
    __slots__ = ("name", "weight", "value", "contribution", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    weight: float
    value: float
    contribution: float
    detail: str
    def __init__(self, name: _Optional[str] = ..., weight: _Optional[float] = ..., value: _Optional[float] = ..., contribution: _Optional[float] = ..., detail: _Optional[str] = ...) -> None: ...

class SearchResult(_message.Message):
    __slots__ = ("availability", "score", "breakdown", "distance_km")
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    score: float
    breakdown: _containers.RepeatedCompositeFieldContainer[ScoreFactor]
    distance_km: float
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ..., score: _Optional[float] = ..., breakdown: _Optional[_Iterable[_Union[ScoreFactor, _Mapping]]] = ..., distance_km: _Optional[float] = ...) -> None: ...

class SimilarAvailability(_message.Message):
    __slots__ = ("availability", "similarity", "same_commodity")
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    SAME_COMMODITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    similarity: float
    same_commodity: bool
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ..., similarity: _Optional[float] = ..., same_commodity: _Optional[bool] = ...) -> None: ...
