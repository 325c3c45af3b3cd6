import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Money(_message.Message):
    __slots__ = ("currency_code", "amount")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    amount: str
    def __init__(self, currency_code: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class LatLng(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class QualityValue(_message.Message):
    __slots__ = ("number", "text", "unit")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    number: float
    text: str
    unit: str
    def __init__(self, number: _Optional[float] = ..., text: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class PriceOption(_message.Message):
    __slots__ = ("label", "price", "incoterm", "payment_terms_days", "min_quantity")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    INCOTERM_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TERMS_DAYS_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    label: str
    price: Money
    incoterm: str
    payment_terms_days: int
    min_quantity: str
    def __init__(self, label: _Optional[str] = ..., price: _Optional[_Union[Money, _Mapping]] = ..., incoterm: _Optional[str] = ..., payment_terms_days: _Optional[int] = ..., min_quantity: _Optional[str] = ...) -> None: ...

class Availability(_message.Message):
    __slots__ = ("name", "seller_id", "company_id", "commodity", "variety", "grade", "description", "quantity_unit", "total_quantity", "available_quantity", "reserved_quantity", "sold_quantity", "min_order_quantity", "allow_partial_order", "quality_params", "normalized_quality_params", "base_price", "price_unit", "price_options", "price_type", "delivery_location", "delivery_region", "location_id", "incoterm", "delivery_window_start", "delivery_window_end", "valid_until", "market_visibility", "restricted_buyer_ids", "allowed_regions", "state", "approved_by", "approve_time", "rejected_by", "reject_time", "rejection_reason", "ai_suggested_price", "ai_confidence_score", "ai_price_anomaly", "ai_anomaly_reason", "ai_score_vector", "revision", "etag", "create_time", "update_time", "delete_time", "country_of_origin", "supported_incoterms", "export_port", "available_from", "available_until", "eod_cutoff", "tags", "internal_reference", "test_report_url", "test_report_verified", "media_urls", "quantity_in_base_unit", "base_quantity_unit", "price_per_base_unit", "base_price_unit", "ai_anomaly_score")
    class MarketVisibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MARKET_VISIBILITY_UNSPECIFIED: _ClassVar[Availability.MarketVisibility]
        MARKET_VISIBILITY_PUBLIC: _ClassVar[Availability.MarketVisibility]
        MARKET_VISIBILITY_PRIVATE: _ClassVar[Availability.MarketVisibility]
        MARKET_VISIBILITY_RESTRICTED: _ClassVar[Availability.MarketVisibility]
        MARKET_VISIBILITY_INTERNAL: _ClassVar[Availability.MarketVisibility]
    MARKET_VISIBILITY_UNSPECIFIED: Availability.MarketVisibility
    MARKET_VISIBILITY_PUBLIC: Availability.MarketVisibility
    MARKET_VISIBILITY_PRIVATE: Availability.MarketVisibility
    MARKET_VISIBILITY_RESTRICTED: Availability.MarketVisibility
    MARKET_VISIBILITY_INTERNAL: Availability.MarketVisibility
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Availability.State]
        STATE_DRAFT: _ClassVar[Availability.State]
        STATE_ACTIVE: _ClassVar[Availability.State]
        STATE_RESERVED: _ClassVar[Availability.State]
        STATE_SOLD: _ClassVar[Availability.State]
        STATE_EXPIRED: _ClassVar[Availability.State]
        STATE_CANCELLED: _ClassVar[Availability.State]
        STATE_REJECTED: _ClassVar[Availability.State]
    STATE_UNSPECIFIED: Availability.State
    STATE_DRAFT: Availability.State
    STATE_ACTIVE: Availability.State
    STATE_RESERVED: Availability.State
    STATE_SOLD: Availability.State
    STATE_EXPIRED: Availability.State
    STATE_CANCELLED: Availability.State
    STATE_REJECTED: Availability.State
    class PriceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PRICE_TYPE_UNSPECIFIED: _ClassVar[Availability.PriceType]
        PRICE_TYPE_FIXED: _ClassVar[Availability.PriceType]
        PRICE_TYPE_NEGOTIABLE: _ClassVar[Availability.PriceType]
        PRICE_TYPE_MATRIX: _ClassVar[Availability.PriceType]
    PRICE_TYPE_UNSPECIFIED: Availability.PriceType
    PRICE_TYPE_FIXED: Availability.PriceType
    PRICE_TYPE_NEGOTIABLE: Availability.PriceType
    PRICE_TYPE_MATRIX: Availability.PriceType
    class QualityParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: QualityValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[QualityValue, _Mapping]] = ...) -> None: ...
    class NormalizedQualityParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: QualityValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[QualityValue, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    VARIETY_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_UNIT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RESERVED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SOLD_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MIN_ORDER_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_PARTIAL_ORDER_FIELD_NUMBER: _ClassVar[int]
    QUALITY_PARAMS_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_QUALITY_PARAMS_FIELD_NUMBER: _ClassVar[int]
    BASE_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_LOCATION_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_REGION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    INCOTERM_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    MARKET_VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    RESTRICTED_BUYER_IDS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_REGIONS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVE_TIME_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    REJECT_TIME_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    AI_SUGGESTED_PRICE_FIELD_NUMBER: _ClassVar[int]
    AI_CONFIDENCE_SCORE_FIELD_NUMBER: _ClassVar[int]
    AI_PRICE_ANOMALY_FIELD_NUMBER: _ClassVar[int]
    AI_ANOMALY_REASON_FIELD_NUMBER: _ClassVar[int]
    AI_SCORE_VECTOR_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_OF_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_INCOTERMS_FIELD_NUMBER: _ClassVar[int]
    EXPORT_PORT_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FROM_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    EOD_CUTOFF_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TEST_REPORT_URL_FIELD_NUMBER: _ClassVar[int]
    TEST_REPORT_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URLS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_IN_BASE_UNIT_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_BASE_UNIT_FIELD_NUMBER: _ClassVar[int]
    BASE_PRICE_UNIT_FIELD_NUMBER: _ClassVar[int]
    AI_ANOMALY_SCORE_FIELD_NUMBER: _ClassVar[int]
    name: str
    seller_id: str
    company_id: str
    commodity: str
    variety: str
    grade: str
    description: str
    quantity_unit: str
    total_quantity: str
    available_quantity: str
    reserved_quantity: str
    sold_quantity: str
    min_order_quantity: str
    allow_partial_order: bool
    quality_params: _containers.MessageMap[str, QualityValue]
    normalized_quality_params: _containers.MessageMap[str, QualityValue]
    base_price: Money
    price_unit: str
    price_options: _containers.RepeatedCompositeFieldContainer[PriceOption]
    price_type: Availability.PriceType
    delivery_location: LatLng
    delivery_region: str
    location_id: str
    incoterm: str
    delivery_window_start: _timestamp_pb2.Timestamp
    delivery_window_end: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    market_visibility: Availability.MarketVisibility
    restricted_buyer_ids: _containers.RepeatedScalarFieldContainer[str]
    allowed_regions: _containers.RepeatedScalarFieldContainer[str]
    state: Availability.State
    approved_by: str
    approve_time: _timestamp_pb2.Timestamp
    rejected_by: str
    reject_time: _timestamp_pb2.Timestamp
    rejection_reason: str
    ai_suggested_price: Money
    ai_confidence_score: float
    ai_price_anomaly: bool
    ai_anomaly_reason: str
    ai_score_vector: _containers.RepeatedScalarFieldContainer[float]
    revision: int
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    country_of_origin: str
    supported_incoterms: _containers.RepeatedScalarFieldContainer[str]
    export_port: str
    available_from: _timestamp_pb2.Timestamp
    available_until: _timestamp_pb2.Timestamp
    eod_cutoff: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    internal_reference: str
    test_report_url: str
    test_report_verified: bool
    media_urls: _containers.RepeatedScalarFieldContainer[str]
    quantity_in_base_unit: str
    base_quantity_unit: str
    price_per_base_unit: Money
    base_price_unit: str
    ai_anomaly_score: float
    def __init__(self, name: _Optional[str] = ..., seller_id: _Optional[str] = ..., company_id: _Optional[str] = ..., commodity: _Optional[str] = ..., variety: _Optional[str] = ..., grade: _Optional[str] = ..., description: _Optional[str] = ..., quantity_unit: _Optional[str] = ..., total_quantity: _Optional[str] = ..., available_quantity: _Optional[str] = ..., reserved_quantity: _Optional[str] = ..., sold_quantity: _Optional[str] = ..., min_order_quantity: _Optional[str] = ..., allow_partial_order: _Optional[bool] = ..., quality_params: _Optional[_Mapping[str, QualityValue]] = ..., normalized_quality_params: _Optional[_Mapping[str, QualityValue]] = ..., base_price: _Optional[_Union[Money, _Mapping]] = ..., price_unit: _Optional[str] = ..., price_options: _Optional[_Iterable[_Union[PriceOption, _Mapping]]] = ..., price_type: _Optional[_Union[Availability.PriceType, str]] = ..., delivery_location: _Optional[_Union[LatLng, _Mapping]] = ..., delivery_region: _Optional[str] = ..., location_id: _Optional[str] = ..., incoterm: _Optional[str] = ..., delivery_window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., market_visibility: _Optional[_Union[Availability.MarketVisibility, str]] = ..., restricted_buyer_ids: _Optional[_Iterable[str]] = ..., allowed_regions: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[Availability.State, str]] = ..., approved_by: _Optional[str] = ..., approve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rejected_by: _Optional[str] = ..., reject_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rejection_reason: _Optional[str] = ..., ai_suggested_price: _Optional[_Union[Money, _Mapping]] = ..., ai_confidence_score: _Optional[float] = ..., ai_price_anomaly: _Optional[bool] = ..., ai_anomaly_reason: _Optional[str] = ..., ai_score_vector: _Optional[_Iterable[float]] = ..., revision: _Optional[int] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., country_of_origin: _Optional[str] = ..., supported_incoterms: _Optional[_Iterable[str]] = ..., export_port: _Optional[str] = ..., available_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., available_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., eod_cutoff: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., internal_reference: _Optional[str] = ..., test_report_url: _Optional[str] = ..., test_report_verified: _Optional[bool] = ..., media_urls: _Optional[_Iterable[str]] = ..., quantity_in_base_unit: _Optional[str] = ..., base_quantity_unit: _Optional[str] = ..., price_per_base_unit: _Optional[_Union[Money, _Mapping]] = ..., base_price_unit: _Optional[str] = ..., ai_anomaly_score: _Optional[float] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("name", "quantity", "quantity_unit", "buyer_id", "negotiation_id", "state", "expire_time", "create_time", "update_time", "sold_quantity", "trade_id", "release_reason", "revision", "price", "price_unit", "price_option_label", "sold_price")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Reservation.State]
        STATE_ACTIVE: _ClassVar[Reservation.State]
        STATE_RELEASED: _ClassVar[Reservation.State]
        STATE_EXPIRED: _ClassVar[Reservation.State]
        STATE_SOLD: _ClassVar[Reservation.State]
    STATE_UNSPECIFIED: Reservation.State
    STATE_ACTIVE: Reservation.State
    STATE_RELEASED: Reservation.State
    STATE_EXPIRED: Reservation.State
    STATE_SOLD: Reservation.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_UNIT_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    NEGOTIATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SOLD_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    RELEASE_REASON_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_OPTION_LABEL_FIELD_NUMBER: _ClassVar[int]
    SOLD_PRICE_FIELD_NUMBER: _ClassVar[int]
    name: str
    quantity: str
    quantity_unit: str
    buyer_id: str
    negotiation_id: str
    state: Reservation.State
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    sold_quantity: str
    trade_id: str
    release_reason: str
    revision: int
    price: Money
    price_unit: str
    price_option_label: str
    sold_price: Money
    def __init__(self, name: _Optional[str] = ..., quantity: _Optional[str] = ..., quantity_unit: _Optional[str] = ..., buyer_id: _Optional[str] = ..., negotiation_id: _Optional[str] = ..., state: _Optional[_Union[Reservation.State, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sold_quantity: _Optional[str] = ..., trade_id: _Optional[str] = ..., release_reason: _Optional[str] = ..., revision: _Optional[int] = ..., price: _Optional[_Union[Money, _Mapping]] = ..., price_unit: _Optional[str] = ..., price_option_label: _Optional[str] = ..., sold_price: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("location_id", "owner_id", "display_name", "point", "region", "update_time")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    owner_id: str
    display_name: str
    point: LatLng
    region: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, location_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., point: _Optional[_Union[LatLng, _Mapping]] = ..., region: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
