//! hello: run one coroutine on a fresh event loop — asyncio's `asyncio.run`.
//!
//! Seed 003, "创建协程函数方式演进" (how coroutine functions are written), in
//! its Python 3.7+ form:
//!
//! ```python
//! async def func():
//!     print("start")
//!     await asyncio.sleep(1)
//!     print("end")
//!
//! asyncio.run(func())
//! ```
//!
//! `corio::run(func())` does what `asyncio.run(func())` does: it makes a new
//! loop, runs `func()` on it as the main task until it returns, cancels
//! whatever that task left pending, and closes the loop.
//!
//! Run it with `cargo run --example hello`.

use std::time::Duration;

#[path = "../support/mod.rs"]
mod support;

/// The seed's coroutine function. Calling it runs nothing: it builds a
/// future, and only a loop polling that future executes the body.
async fn func() {
    println!("start");
    // As the seed's `await asyncio.sleep(1)`: the coroutine suspends here, the
    // loop's timer wakes it a second later, and it resumes after the await.
    corio::time::sleep(Duration::from_secs(1)).await;
    println!("end");
}

fn main() {
    support::args(include_str!("01_hello.rs"), "").done();
    println!("-- asyncio.run(func()), Python 3.7+ --");
    corio::run(func());
    println!("run returned: the loop is closed");

    // The seed's older form (Python 3.5/3.6) creates, uses and closes the loop
    // by hand:
    //
    //     loop = asyncio.get_event_loop()
    //     loop.run_until_complete(func())
    //     loop.close()
    println!();
    println!("-- loop.run_until_complete(func()), Python 3.5 --");
    let event_loop = corio::EventLoop::new();
    event_loop.block_on(func());
    // Dropping the loop is `loop.close()`.
    drop(event_loop);
    println!("loop closed");
}
