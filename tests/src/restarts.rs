//! Stopping and starting one service inside a running app, on the same address and database, as
//! a crash and a redeploy would: how the change-feed follower's exactly-once promise is tested.

use std::net::SocketAddr;

use logistics_platform::ServiceContext;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{TestApp, bind};

/// How a restartable service is started: its crate's `run`.
type RunService =
    fn(
        ServiceContext,
        TcpListener,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// The services a test may stop and start again while the others keep running.
pub(crate) struct Restartable {
    pub(crate) customers: RestartableService,
    pub(crate) orders: RestartableService,
}

/// One service that can be stopped and started again on the same address and database.
pub(crate) struct RestartableService {
    /// Its context; each start runs it under a child of this shutdown token.
    context: ServiceContext,
    address: SocketAddr,
    run: RunService,
    /// The running instance's own shutdown token and task; `None` while stopped.
    running: Option<(
        CancellationToken,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )>,
}

/// How long a stopped service may take to let go of its port.
const STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl RestartableService {
    pub(crate) fn start(context: ServiceContext, listener: TcpListener, run: RunService) -> Self {
        let address = listener.local_addr().expect("bound address");
        let mut service = Self {
            context,
            address,
            run,
            running: None,
        };
        service.run_on(listener);
        service
    }

    /// The context it runs with (under the app's shutdown).
    pub(crate) fn context(&self) -> &ServiceContext {
        &self.context
    }

    fn run_on(&mut self, listener: TcpListener) {
        let token = self.context.shutdown.child_token();
        let context = ServiceContext {
            shutdown: token.clone(),
            ..self.context.clone()
        };
        let task = tokio::spawn((self.run)(context, listener));
        self.running = Some((token, task));
    }

    /// Cancels the instance, as SIGTERM would: its background work (the feed follower among it)
    /// drops whatever it was doing, uncommitted transactions included, and the server drains.
    /// Waits until it has stopped; fails if it failed.
    pub(crate) async fn stop(&mut self) {
        let Some((token, task)) = self.running.take() else {
            return;
        };
        token.cancel();
        let abort = task.abort_handle();
        match tokio::time::timeout(STOP_TIMEOUT, task).await {
            Ok(stopped) => stopped
                .expect("service task panicked")
                .expect("service failed"),
            Err(_) => {
                abort.abort();
                panic!("{} did not stop within {STOP_TIMEOUT:?}", self.address);
            }
        }
    }

    /// Starts a new instance on the same address (so peers configured with it find it again).
    async fn restart(&mut self) {
        assert!(self.running.is_none(), "stop the service first");
        let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                // The old instance's socket may linger a moment after it stopped.
                Err(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(error) => panic!("rebinding {}: {error}", self.address),
            }
        };
        self.run_on(listener);
    }
}

impl TestApp {
    /// Stops the customers service alone (see [`TestApp::start_customers`]); the others keep
    /// running. Clients made before keep their address and reconnect once it is back.
    pub async fn stop_customers(&mut self) {
        self.restartable.customers.stop().await;
    }

    /// Starts the customers service again, on the same address and database.
    pub async fn start_customers(&mut self) {
        self.restartable.customers.restart().await;
    }

    /// Stops the customers service and starts a new instance: a process restart.
    pub async fn restart_customers(&mut self) {
        self.stop_customers().await;
        self.start_customers().await;
    }

    /// Stops the orders service alone; the others keep running (and find it down).
    pub async fn stop_orders(&mut self) {
        self.restartable.orders.stop().await;
    }

    /// Starts the orders service again, on the same address and database.
    pub async fn start_orders(&mut self) {
        self.restartable.orders.restart().await;
    }

    /// Starts one more customers instance on the same database, on a port of its own, as a second
    /// replica of a Deployment would run; it stops with the app. Returns its address.
    pub async fn spawn_customers_replica(&mut self) -> SocketAddr {
        let listener = bind().await;
        let address = listener.local_addr().expect("bound address");
        let context = self.restartable.customers.context.clone();
        self.services
            .spawn(logistics_customers::run(context, listener));
        address
    }
}
