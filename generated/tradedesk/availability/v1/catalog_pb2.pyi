from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CommodityParameter(_message.Message):
    __slots__ = ("name", "canonical_unit", "range_min", "range_max", "aliases", "alternate_units", "kind")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[CommodityParameter.Kind]
        KIND_NUMBER: _ClassVar[CommodityParameter.Kind]
        KIND_TEXT: _ClassVar[CommodityParameter.Kind]
    KIND_UNSPECIFIED: CommodityParameter.Kind
    KIND_NUMBER: CommodityParameter.Kind
    KIND_TEXT: CommodityParameter.Kind
    NAME_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_UNIT_FIELD_NUMBER: _ClassVar[int]
    RANGE_MIN_FIELD_NUMBER: _ClassVar[int]
    RANGE_MAX_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    ALTERNATE_UNITS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    name: str
    canonical_unit: str
    range_min: float
    range_max: float
    aliases: _containers.RepeatedScalarFieldContainer[str]
    alternate_units: _containers.RepeatedScalarFieldContainer[str]
    kind: CommodityParameter.Kind
    def __init__(self, name: _Optional[str] = ..., canonical_unit: _Optional[str] = ..., range_min: _Optional[float] = ..., range_max: _Optional[float] = ..., aliases: _Optional[_Iterable[str]] = ..., alternate_units: _Optional[_Iterable[str]] = ..., kind: _Optional[_Union[CommodityParameter.Kind, str]] = ...) -> None: ...

class Commodity(_message.Message):
    __slots__ = ("code", "display_name", "family", "quantity_unit", "price_unit", "accepted_quantity_units", "quality_parameters")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_UNIT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_QUANTITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    code: str
    display_name: str
    family: str
    quantity_unit: str
    price_unit: str
    accepted_quantity_units: _containers.RepeatedScalarFieldContainer[str]
    quality_parameters: _containers.RepeatedCompositeFieldContainer[CommodityParameter]
    def __init__(self, code: _Optional[str] = ..., display_name: _Optional[str] = ..., family: _Optional[str] = ..., quantity_unit: _Optional[str] = ..., price_unit: _Optional[str] = ..., accepted_quantity_units: _Optional[_Iterable[str]] = ..., quality_parameters: _Optional[_Iterable[_Union[CommodityParameter, _Mapping]]] = ...) -> None: ...

class ListCommoditiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCommoditiesResponse(_message.Message):
    __slots__ = ("commodities", "next_page_token", "catalog_version")
    COMMODITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    commodities: _containers.RepeatedCompositeFieldContainer[Commodity]
    next_page_token: str
    catalog_version: int
    def __init__(self, commodities: _Optional[_Iterable[_Union[Commodity, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., catalog_version: _Optional[int] = ...) -> None: ...
