//! Every RPC of the orders package (OrderService, QuoteService, TrackingService,
//! AddressBookService) with generated requests.

use logistics_contracts::orders::*;
use logistics_tests::orders::{OrdersClient, address as kit_address};
use logistics_tests::{
    AddressBookClient, QuotesClient, TestApp, TrackingClient, create_customer, enterprise,
    order_in_status,
};
use tokio_stream::StreamExt as _;

use super::{FuzzCall, Outcome};

mod requests;
pub use requests::calls;

/// One call of the orders package.
// Requests are moved once per case, so their sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Call {
    CreateOrder(CreateOrderRequest),
    GetOrder(GetOrderRequest),
    ListOrders(ListOrdersRequest),
    ConfirmOrder(ConfirmOrderRequest),
    CancelOrder(CancelOrderRequest),
    SchedulePickup(SchedulePickupRequest),
    CancelPickup(CancelPickupRequest),
    DispatchVehicle(DispatchVehicleRequest),
    GetLabel(GetLabelRequest),
    StreamChanges(StreamChangesRequest),
    QuoteShipment(QuoteShipmentRequest),
    GetRateCard(GetRateCardRequest),
    UpdateRateCard(UpdateRateCardRequest),
    RecordTrackingEvents(RecordTrackingEventsRequest),
    StreamTrackingEvents(Vec<StreamTrackingEventsRequest>),
    GetTracking(GetTrackingRequest),
    BatchGetTracking(BatchGetTrackingRequest),
    SearchTrackingByReference(SearchTrackingByReferenceRequest),
    WatchTracking(WatchTrackingRequest),
    RecordDelivery(RecordDeliveryRequest),
    GetProofOfDelivery(GetProofOfDeliveryRequest),
    ListProblemShipments(ListProblemShipmentsRequest),
    CreateSavedAddress(CreateSavedAddressRequest),
    GetSavedAddress(GetSavedAddressRequest),
    ListSavedAddresses(ListSavedAddressesRequest),
    UpdateSavedAddress(UpdateSavedAddressRequest),
    DeleteSavedAddress(DeleteSavedAddressRequest),
}

impl FuzzCall for Call {
    fn rpc(&self) -> &'static str {
        macro_rules! names {
            ($($rpc:ident),* $(,)?) => {
                match self { $(Call::$rpc(_) => stringify!($rpc),)* }
            };
        }
        names!(
            CreateOrder,
            GetOrder,
            ListOrders,
            ConfirmOrder,
            CancelOrder,
            SchedulePickup,
            CancelPickup,
            DispatchVehicle,
            GetLabel,
            StreamChanges,
            QuoteShipment,
            GetRateCard,
            UpdateRateCard,
            RecordTrackingEvents,
            StreamTrackingEvents,
            GetTracking,
            BatchGetTracking,
            SearchTrackingByReference,
            WatchTracking,
            RecordDelivery,
            GetProofOfDelivery,
            ListProblemShipments,
            CreateSavedAddress,
            GetSavedAddress,
            ListSavedAddresses,
            UpdateSavedAddress,
            DeleteSavedAddress,
        )
    }

    /// StreamTrackingEvents writes its batches as they fill (or after 50 ms), so a bad message
    /// late in a stream ends it after earlier batches were recorded, as its refusal says.
    fn keeps_what_came_before(&self, status: &tonic::Status) -> bool {
        matches!(self, Call::StreamTrackingEvents(_))
            && !status
                .message()
                .contains("the 0 events before it were recorded")
    }
}

/// What exists before the first case.
#[derive(Debug, Clone)]
pub struct Known {
    customers: Vec<String>,
    orders: Vec<String>,
    /// Orders that cancels aim at, so the others keep moving.
    victims: Vec<String>,
    tracking_numbers: Vec<String>,
    saved_addresses: Vec<String>,
    /// Saved addresses that DeleteSavedAddress aims at.
    deletable_addresses: Vec<String>,
    rate_card: RateCard,
}

/// The clients of the orders package.
#[derive(Clone)]
pub struct Clients {
    orders: OrdersClient,
    quotes: QuotesClient,
    tracking: TrackingClient,
    address_book: AddressBookClient,
}

impl Clients {
    pub async fn connect(app: &TestApp) -> Self {
        Self {
            orders: app.orders_client().await,
            quotes: app.orders_quotes_client().await,
            tracking: app.tracking_client().await,
            address_book: app.orders_address_book_client().await,
        }
    }
}

/// Creates customers, orders in most statuses, a saved address, and reads the rate card.
pub async fn setup(app: &TestApp, clients: &mut Clients) -> Known {
    let mut customers = Vec::new();
    for name in ["Acme Tiles", "Blue Harbour Trading"] {
        let created = create_customer(&mut app.customers_client().await, enterprise(name)).await;
        customers.push(created.id);
    }
    let mut orders = vec![uuid::Uuid::new_v4().to_string()];
    let mut tracking_numbers = vec!["LG000000000CN".to_owned()];
    for status in [
        OrderStatus::Created,
        OrderStatus::Confirmed,
        OrderStatus::PickupScheduled,
        OrderStatus::PickupScheduled,
        OrderStatus::PickedUp,
        OrderStatus::InTransit,
        OrderStatus::OutForDelivery,
        OrderStatus::OutForDelivery,
        OrderStatus::Delivered,
        OrderStatus::Exception,
        OrderStatus::Cancelled,
        // Victims of CancelOrder and CancelPickup.
        OrderStatus::Created,
        OrderStatus::PickupScheduled,
    ] {
        let (id, number) = order_in_status(app, &customers[0], status, &["PO-2026-0042"]).await;
        let order = clients
            .orders
            .get_order(GetOrderRequest { id: id.clone() })
            .await
            .expect("reading an order back")
            .into_inner();
        orders.push(id);
        if orders.len() == 2 {
            // The first order is named by its number too.
            orders.push(order.order_number);
        }
        tracking_numbers.push(number);
    }
    let victims = orders.split_off(orders.len() - 2);
    let mut saved_addresses = vec![uuid::Uuid::new_v4().to_string()];
    for label in [
        "Pudong warehouse",
        "Chaoyang store",
        "Head office",
        "Dock 1",
        "Dock 2",
    ] {
        let saved = clients
            .address_book
            .create_saved_address(CreateSavedAddressRequest {
                saved_address: Some(SavedAddress {
                    customer_id: customers[0].clone(),
                    label: label.to_owned(),
                    address: Some(kit_address("Pudong Warehouse 2", "Shanghai", "310115")),
                    usage: AddressUsage::Both.into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("saving an address")
            .into_inner();
        saved_addresses.push(saved.id);
    }
    let rate_card = clients
        .quotes
        .get_rate_card(GetRateCardRequest { version: 0 })
        .await
        .expect("reading the rate card")
        .into_inner();
    Known {
        customers,
        orders,
        victims,
        tracking_numbers,
        deletable_addresses: [
            vec![saved_addresses[0].clone()],
            saved_addresses.split_off(4),
        ]
        .concat(),
        saved_addresses,
        rate_card,
    }
}

/// Sends `call`; a server stream is read for its first message (a short wait: it may be idle).
pub async fn send(clients: &mut Clients, call: Call) -> Outcome {
    let Clients {
        orders: o,
        quotes: q,
        tracking: t,
        address_book: a,
    } = clients;
    macro_rules! unary {
        ($client:expr, $method:ident, $request:expr) => {
            $client.$method($request).await.map(|_| ())
        };
    }
    let first = std::time::Duration::from_millis(50);
    match call {
        Call::CreateOrder(r) => unary!(o, create_order, r),
        Call::GetOrder(r) => unary!(o, get_order, r),
        Call::ListOrders(r) => unary!(o, list_orders, r),
        Call::ConfirmOrder(r) => unary!(o, confirm_order, r),
        Call::CancelOrder(r) => unary!(o, cancel_order, r),
        Call::SchedulePickup(r) => unary!(o, schedule_pickup, r),
        Call::CancelPickup(r) => unary!(o, cancel_pickup, r),
        Call::DispatchVehicle(r) => unary!(o, dispatch_vehicle, r),
        Call::GetLabel(r) => unary!(o, get_label, r),
        Call::StreamChanges(r) => {
            let mut stream = o.stream_changes(r).await?.into_inner();
            match tokio::time::timeout(first, stream.next()).await {
                Ok(Some(Err(status))) => Err(status),
                _ => Ok(()),
            }
        }
        Call::QuoteShipment(r) => unary!(q, quote_shipment, r),
        Call::GetRateCard(r) => unary!(q, get_rate_card, r),
        Call::UpdateRateCard(r) => unary!(q, update_rate_card, r),
        Call::RecordTrackingEvents(r) => unary!(t, record_tracking_events, r),
        Call::StreamTrackingEvents(messages) => {
            unary!(t, stream_tracking_events, tokio_stream::iter(messages))
        }
        Call::GetTracking(r) => unary!(t, get_tracking, r),
        Call::BatchGetTracking(r) => unary!(t, batch_get_tracking, r),
        Call::SearchTrackingByReference(r) => unary!(t, search_tracking_by_reference, r),
        Call::WatchTracking(r) => {
            let mut stream = t.watch_tracking(r).await?.into_inner();
            match tokio::time::timeout(first, stream.next()).await {
                Ok(Some(Err(status))) => Err(status),
                _ => Ok(()),
            }
        }
        Call::RecordDelivery(r) => unary!(t, record_delivery, r),
        Call::GetProofOfDelivery(r) => unary!(t, get_proof_of_delivery, r),
        Call::ListProblemShipments(r) => unary!(t, list_problem_shipments, r),
        Call::CreateSavedAddress(r) => unary!(a, create_saved_address, r),
        Call::GetSavedAddress(r) => unary!(a, get_saved_address, r),
        Call::ListSavedAddresses(r) => unary!(a, list_saved_addresses, r),
        Call::UpdateSavedAddress(r) => unary!(a, update_saved_address, r),
        Call::DeleteSavedAddress(r) => unary!(a, delete_saved_address, r),
    }
}
