//! `logistics.orders.v1.QuoteService`: prices and promises from the rate card, and the card's
//! versions.

use chrono::{Duration, Utc};
use logistics_contracts::orders::quote_service_server::QuoteService;
use logistics_contracts::orders::{
    self as pb, GetRateCardRequest, QuoteShipmentRequest, UpdateRateCardRequest,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::error::Violations;
use logistics_platform::{ApiError, scope_table};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use super::fields::{mode_field, region_code_field, time_field, validate_cargo};
use super::rate_card_fields::{card_from_proto, card_to_proto};
use super::{principal_name, respond};
use crate::app::proto::quote_to_proto;
use crate::app::quotes::{self, Quoter};
use crate::domain::quote::ShipmentSpec;

/// The scope each RPC of QuoteService needs: changing prices is an administrator's job.
pub(crate) const SCOPES: ScopeTable = scope_table!("logistics.orders.v1.QuoteService" {
    QuoteShipment => "orders:read",
    GetRateCard => "orders:read",
    UpdateRateCard => "orders:admin",
});

/// Longest reason of a card change, in characters.
const MAX_REASON_CHARS: usize = 500;
/// How far back a quote's pickup time may lie: a little, for callers' clock skew and slow forms.
const PICKUP_PAST_TOLERANCE: Duration = Duration::hours(1);
/// How far ahead a quote's pickup time may lie.
const PICKUP_HORIZON: Duration = Duration::days(90);

/// The quotes API over its database and the shared [`Quoter`].
#[derive(Clone)]
pub(crate) struct QuotesApi {
    pool: PgPool,
    quoter: Quoter,
}

impl QuotesApi {
    /// The API over `pool`, pricing with `quoter` (share it with OrderService, so an update here
    /// shows there at once).
    pub(crate) fn new(pool: PgPool, quoter: Quoter) -> Self {
        Self { pool, quoter }
    }

    async fn quote_shipment(&self, request: QuoteShipmentRequest) -> Result<pb::Quote, ApiError> {
        let now = Utc::now();
        let mut violations = Violations::new();
        let mode = mode_field(&mut violations, "mode", request.mode);
        let mut region =
            |field: &str, address: Option<&logistics_contracts::common::Address>| match address {
                Some(address) => region_code_field(
                    &mut violations,
                    &format!("{field}.region_code"),
                    &address.region_code,
                ),
                None => {
                    violations.add(field, "is required");
                    String::new()
                }
            };
        let origin_region = region("origin", request.origin.as_ref());
        let destination_region = region("destination", request.destination.as_ref());
        let lines = validate_cargo(&mut violations, "cargo", &request.cargo);
        let pickup_at = time_field(
            &mut violations,
            "pickup_time",
            request.pickup_time.as_ref(),
            now,
            (now - PICKUP_PAST_TOLERANCE, now + PICKUP_HORIZON),
        );
        let Some(mode) = mode else {
            return Err(violations.into_error());
        };
        violations.finish()?;
        let spec = ShipmentSpec {
            mode,
            origin_region,
            destination_region,
            lines,
            priority_transport: request.priority_transport,
        };
        let outcome = self.quoter.quote(&spec, pickup_at).await?;
        Ok(quote_to_proto(&outcome))
    }

    async fn get_rate_card(&self, request: GetRateCardRequest) -> Result<pb::RateCard, ApiError> {
        Ok(card_to_proto(
            &quotes::rate_card(&self.pool, request.version).await?,
        ))
    }

    async fn update_rate_card(
        &self,
        principal: &str,
        request: UpdateRateCardRequest,
    ) -> Result<pb::RateCard, ApiError> {
        let mut violations = Violations::new();
        violations.require_text("reason", &request.reason, MAX_REASON_CHARS);
        let Some(input) = request.rate_card else {
            violations.add("rate_card", "is required");
            return Err(violations.into_error());
        };
        let card = card_from_proto(&input, &mut violations);
        violations.finish()?;
        let by = (principal, input.etag.as_str(), request.reason.trim());
        let stored = quotes::update_rate_card(&self.pool, &self.quoter, card, by).await?;
        Ok(card_to_proto(&stored))
    }
}

#[tonic::async_trait]
impl QuoteService for QuotesApi {
    async fn quote_shipment(
        &self,
        request: Request<QuoteShipmentRequest>,
    ) -> Result<Response<pb::Quote>, Status> {
        respond(self.quote_shipment(request.into_inner()).await)
    }

    async fn get_rate_card(
        &self,
        request: Request<GetRateCardRequest>,
    ) -> Result<Response<pb::RateCard>, Status> {
        respond(self.get_rate_card(request.into_inner()).await)
    }

    async fn update_rate_card(
        &self,
        request: Request<UpdateRateCardRequest>,
    ) -> Result<Response<pb::RateCard>, Status> {
        let principal = principal_name(&request)?;
        respond(
            self.update_rate_card(&principal, request.into_inner())
                .await,
        )
    }
}
