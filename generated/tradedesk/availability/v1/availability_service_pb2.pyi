import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tradedesk.availability.v1 import catalog_pb2 as _catalog_pb2
from tradedesk.availability.v1 import history_pb2 as _history_pb2
from tradedesk.availability.v1 import resources_pb2 as _resources_pb2
from tradedesk.availability.v1 import search_pb2 as _search_pb2
from tradedesk.availability.v1 import watch_pb2 as _watch_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class View(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VIEW_UNSPECIFIED: _ClassVar[View]
    VIEW_BASIC: _ClassVar[View]
    VIEW_FULL: _ClassVar[View]
VIEW_UNSPECIFIED: View
VIEW_BASIC: View
VIEW_FULL: View

class CreateAvailabilityRequest(_message.Message):
    __slots__ = ("availability", "request_id")
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    request_id: str
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateAvailabilityResponse(_message.Message):
    __slots__ = ("availability",)
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("name", "view")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    name: str
    view: View
    def __init__(self, name: _Optional[str] = ..., view: _Optional[_Union[View, str]] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("availability",)
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class ListAvailabilitiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "seller_id", "commodity", "states", "show_deleted", "view")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    SHOW_DELETED_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    seller_id: str
    commodity: str
    states: _containers.RepeatedScalarFieldContainer[_resources_pb2.Availability.State]
    show_deleted: bool
    view: View
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., seller_id: _Optional[str] = ..., commodity: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_resources_pb2.Availability.State, str]]] = ..., show_deleted: _Optional[bool] = ..., view: _Optional[_Union[View, str]] = ...) -> None: ...

class ListAvailabilitiesResponse(_message.Message):
    __slots__ = ("availabilities", "next_page_token", "revision")
    AVAILABILITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    availabilities: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Availability]
    next_page_token: str
    revision: int
    def __init__(self, availabilities: _Optional[_Iterable[_Union[_resources_pb2.Availability, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class UpdateAvailabilityRequest(_message.Message):
    __slots__ = ("availability", "update_mask", "request_id")
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateAvailabilityResponse(_message.Message):
    __slots__ = ("availability",)
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class DeleteAvailabilityRequest(_message.Message):
    __slots__ = ("name", "etag", "request_id", "force")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    request_id: str
    force: bool
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class DeleteAvailabilityResponse(_message.Message):
    __slots__ = ("availability",)
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class ApproveAvailabilityRequest(_message.Message):
    __slots__ = ("name", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ApproveAvailabilityResponse(_message.Message):
    __slots__ = ("availability",)
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class RejectAvailabilityRequest(_message.Message):
    __slots__ = ("name", "reason", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RejectAvailabilityResponse(_message.Message):
    __slots__ = ("availability",)
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class SearchAvailabilitiesRequest(_message.Message):
    __slots__ = ("commodity", "quality_targets", "max_price", "price_tolerance_percent", "near", "radius_km", "min_quantity", "include_anomalies", "weights", "score_threshold", "page_size", "page_token", "delivery_window_start", "delivery_window_end", "incoterm", "price_unit", "delivery_regions", "min_price", "order_quantity")
    class QualityTargetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _search_pb2.QualityTarget
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_search_pb2.QualityTarget, _Mapping]] = ...) -> None: ...
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    QUALITY_TARGETS_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_TOLERANCE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    NEAR_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ANOMALIES_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    INCOTERM_FIELD_NUMBER: _ClassVar[int]
    PRICE_UNIT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_REGIONS_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    ORDER_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    commodity: str
    quality_targets: _containers.MessageMap[str, _search_pb2.QualityTarget]
    max_price: _resources_pb2.Money
    price_tolerance_percent: float
    near: _resources_pb2.LatLng
    radius_km: float
    min_quantity: str
    include_anomalies: bool
    weights: _search_pb2.ScoreWeights
    score_threshold: float
    page_size: int
    page_token: str
    delivery_window_start: _timestamp_pb2.Timestamp
    delivery_window_end: _timestamp_pb2.Timestamp
    incoterm: str
    price_unit: str
    delivery_regions: _containers.RepeatedScalarFieldContainer[str]
    min_price: _resources_pb2.Money
    order_quantity: str
    def __init__(self, commodity: _Optional[str] = ..., quality_targets: _Optional[_Mapping[str, _search_pb2.QualityTarget]] = ..., max_price: _Optional[_Union[_resources_pb2.Money, _Mapping]] = ..., price_tolerance_percent: _Optional[float] = ..., near: _Optional[_Union[_resources_pb2.LatLng, _Mapping]] = ..., radius_km: _Optional[float] = ..., min_quantity: _Optional[str] = ..., include_anomalies: _Optional[bool] = ..., weights: _Optional[_Union[_search_pb2.ScoreWeights, _Mapping]] = ..., score_threshold: _Optional[float] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., delivery_window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., incoterm: _Optional[str] = ..., price_unit: _Optional[str] = ..., delivery_regions: _Optional[_Iterable[str]] = ..., min_price: _Optional[_Union[_resources_pb2.Money, _Mapping]] = ..., order_quantity: _Optional[str] = ...) -> None: ...

class SearchAvailabilitiesResponse(_message.Message):
    __slots__ = ("results", "next_page_token", "revision")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_search_pb2.SearchResult]
    next_page_token: str
    revision: int
    def __init__(self, results: _Optional[_Iterable[_Union[_search_pb2.SearchResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class ListSimilarAvailabilitiesRequest(_message.Message):
    __slots__ = ("name", "page_size")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListSimilarAvailabilitiesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_search_pb2.SimilarAvailability]
    def __init__(self, results: _Optional[_Iterable[_Union[_search_pb2.SimilarAvailability, _Mapping]]] = ...) -> None: ...

class GetNegotiationReadinessRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNegotiationReadinessResponse(_message.Message):
    __slots__ = ("name", "score", "factors", "ready")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    name: str
    score: float
    factors: _containers.RepeatedCompositeFieldContainer[_search_pb2.ScoreFactor]
    ready: bool
    def __init__(self, name: _Optional[str] = ..., score: _Optional[float] = ..., factors: _Optional[_Iterable[_Union[_search_pb2.ScoreFactor, _Mapping]]] = ..., ready: _Optional[bool] = ...) -> None: ...

class ReserveAvailabilityRequest(_message.Message):
    __slots__ = ("name", "quantity", "ttl", "buyer_id", "negotiation_id", "request_id", "price_option_label")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    NEGOTIATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_OPTION_LABEL_FIELD_NUMBER: _ClassVar[int]
    name: str
    quantity: str
    ttl: _duration_pb2.Duration
    buyer_id: str
    negotiation_id: str
    request_id: str
    price_option_label: str
    def __init__(self, name: _Optional[str] = ..., quantity: _Optional[str] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., buyer_id: _Optional[str] = ..., negotiation_id: _Optional[str] = ..., request_id: _Optional[str] = ..., price_option_label: _Optional[str] = ...) -> None: ...

class ReserveAvailabilityResponse(_message.Message):
    __slots__ = ("reservation", "availability")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    reservation: _resources_pb2.Reservation
    availability: _resources_pb2.Availability
    def __init__(self, reservation: _Optional[_Union[_resources_pb2.Reservation, _Mapping]] = ..., availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class GetReservationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _resources_pb2.Reservation
    def __init__(self, reservation: _Optional[_Union[_resources_pb2.Reservation, _Mapping]] = ...) -> None: ...

class ExtendReservationRequest(_message.Message):
    __slots__ = ("name", "ttl", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    ttl: _duration_pb2.Duration
    request_id: str
    def __init__(self, name: _Optional[str] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExtendReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _resources_pb2.Reservation
    def __init__(self, reservation: _Optional[_Union[_resources_pb2.Reservation, _Mapping]] = ...) -> None: ...

class ReleaseReservationRequest(_message.Message):
    __slots__ = ("name", "reason", "request_id", "quantity")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    request_id: str
    quantity: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class ReleaseReservationResponse(_message.Message):
    __slots__ = ("reservation", "availability")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    reservation: _resources_pb2.Reservation
    availability: _resources_pb2.Availability
    def __init__(self, reservation: _Optional[_Union[_resources_pb2.Reservation, _Mapping]] = ..., availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class MarkSoldRequest(_message.Message):
    __slots__ = ("name", "quantity", "trade_id", "request_id", "buyer_id", "sold_price")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SOLD_PRICE_FIELD_NUMBER: _ClassVar[int]
    name: str
    quantity: str
    trade_id: str
    request_id: str
    buyer_id: str
    sold_price: _resources_pb2.Money
    def __init__(self, name: _Optional[str] = ..., quantity: _Optional[str] = ..., trade_id: _Optional[str] = ..., request_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., sold_price: _Optional[_Union[_resources_pb2.Money, _Mapping]] = ...) -> None: ...

class MarkSoldResponse(_message.Message):
    __slots__ = ("reservation", "availability")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    reservation: _resources_pb2.Reservation
    availability: _resources_pb2.Availability
    def __init__(self, reservation: _Optional[_Union[_resources_pb2.Reservation, _Mapping]] = ..., availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class WatchAvailabilitiesRequest(_message.Message):
    __slots__ = ("commodities", "seller_ids", "delivery_regions", "names", "event_types", "start_revision", "send_initial_state", "progress_notify_interval")
    COMMODITIES_FIELD_NUMBER: _ClassVar[int]
    SELLER_IDS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_REGIONS_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    START_REVISION_FIELD_NUMBER: _ClassVar[int]
    SEND_INITIAL_STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_NOTIFY_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    commodities: _containers.RepeatedScalarFieldContainer[str]
    seller_ids: _containers.RepeatedScalarFieldContainer[str]
    delivery_regions: _containers.RepeatedScalarFieldContainer[str]
    names: _containers.RepeatedScalarFieldContainer[str]
    event_types: _containers.RepeatedScalarFieldContainer[_watch_pb2.EventType]
    start_revision: int
    send_initial_state: bool
    progress_notify_interval: _duration_pb2.Duration
    def __init__(self, commodities: _Optional[_Iterable[str]] = ..., seller_ids: _Optional[_Iterable[str]] = ..., delivery_regions: _Optional[_Iterable[str]] = ..., names: _Optional[_Iterable[str]] = ..., event_types: _Optional[_Iterable[_Union[_watch_pb2.EventType, str]]] = ..., start_revision: _Optional[int] = ..., send_initial_state: _Optional[bool] = ..., progress_notify_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchAvailabilitiesResponse(_message.Message):
    __slots__ = ("revision", "events", "bookmark")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    BOOKMARK_FIELD_NUMBER: _ClassVar[int]
    revision: int
    events: _containers.RepeatedCompositeFieldContainer[_watch_pb2.AvailabilityEvent]
    bookmark: _watch_pb2.Bookmark
    def __init__(self, revision: _Optional[int] = ..., events: _Optional[_Iterable[_Union[_watch_pb2.AvailabilityEvent, _Mapping]]] = ..., bookmark: _Optional[_Union[_watch_pb2.Bookmark, _Mapping]] = ...) -> None: ...

class WatchSearchRequest(_message.Message):
    __slots__ = ("search", "start_revision", "send_initial_state", "progress_notify_interval")
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    START_REVISION_FIELD_NUMBER: _ClassVar[int]
    SEND_INITIAL_STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_NOTIFY_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    search: SearchAvailabilitiesRequest
    start_revision: int
    send_initial_state: bool
    progress_notify_interval: _duration_pb2.Duration
    def __init__(self, search: _Optional[_Union[SearchAvailabilitiesRequest, _Mapping]] = ..., start_revision: _Optional[int] = ..., send_initial_state: _Optional[bool] = ..., progress_notify_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchSearchResponse(_message.Message):
    __slots__ = ("revision", "changes", "bookmark")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    BOOKMARK_FIELD_NUMBER: _ClassVar[int]
    revision: int
    changes: _containers.RepeatedCompositeFieldContainer[_watch_pb2.SearchChange]
    bookmark: _watch_pb2.Bookmark
    def __init__(self, revision: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[_watch_pb2.SearchChange, _Mapping]]] = ..., bookmark: _Optional[_Union[_watch_pb2.Bookmark, _Mapping]] = ...) -> None: ...

class BatchCreateAvailabilitiesRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[CreateAvailabilityRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[CreateAvailabilityRequest, _Mapping]]] = ...) -> None: ...

class BatchCreateResult(_message.Message):
    __slots__ = ("availability", "code", "message", "field_violations", "reason")
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    availability: _resources_pb2.Availability
    code: int
    message: str
    field_violations: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., field_violations: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class BatchCreateAvailabilitiesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchCreateResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchCreateResult, _Mapping]]] = ...) -> None: ...

class UpsertLocationRequest(_message.Message):
    __slots__ = ("location",)
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    location: _resources_pb2.Location
    def __init__(self, location: _Optional[_Union[_resources_pb2.Location, _Mapping]] = ...) -> None: ...

class UpsertLocationResponse(_message.Message):
    __slots__ = ("location",)
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    location: _resources_pb2.Location
    def __init__(self, location: _Optional[_Union[_resources_pb2.Location, _Mapping]] = ...) -> None: ...

class ListLocationsRequest(_message.Message):
    __slots__ = ("owner_id", "page_size", "page_token")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page_size: int
    page_token: str
    def __init__(self, owner_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLocationsResponse(_message.Message):
    __slots__ = ("locations", "next_page_token")
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    locations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Location]
    next_page_token: str
    def __init__(self, locations: _Optional[_Iterable[_Union[_resources_pb2.Location, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListReservationsRequest(_message.Message):
    __slots__ = ("parent", "buyer_id", "negotiation_id", "states", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    NEGOTIATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    buyer_id: str
    negotiation_id: str
    states: _containers.RepeatedScalarFieldContainer[_resources_pb2.Reservation.State]
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., buyer_id: _Optional[str] = ..., negotiation_id: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_resources_pb2.Reservation.State, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReservationsResponse(_message.Message):
    __slots__ = ("reservations", "next_page_token")
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reservations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Reservation]
    next_page_token: str
    def __init__(self, reservations: _Optional[_Iterable[_Union[_resources_pb2.Reservation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
