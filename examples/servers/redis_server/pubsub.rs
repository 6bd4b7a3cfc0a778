//! Publish/subscribe: which connections listen on which channel, and the
//! bounded queue in front of each of them.
//!
//! `PUBLISH chan msg` must not wait for anybody: it formats the message once
//! and hands it to every subscriber's [`StreamWriter`], whose `write` never
//! waits — the bytes go to the socket at once, or into the writer's buffer,
//! which a flusher task empties as the subscriber reads. That buffer is the
//! subscriber's queue, and it is bounded: a subscriber whose backlog would
//! pass [`SUBSCRIBER_BACKLOG`] bytes is not keeping up, and is disconnected
//! (Redis does the same with its `client-output-buffer-limit pubsub`). One
//! slow reader therefore costs at most that much memory and never slows the
//! publisher or the other subscribers.

use std::collections::HashMap;
use std::rc::Rc;

use corio::streams::StreamWriter;

use crate::resp;

/// The most bytes a subscriber may have waiting before it is dropped.
pub const SUBSCRIBER_BACKLOG: usize = 1024 * 1024;

/// One subscribed connection: its number and its writer.
struct Subscriber {
    connection: u64,
    writer: Rc<StreamWriter>,
}

/// Every channel's subscribers.
#[derive(Default)]
pub struct Hub {
    channels: HashMap<Box<[u8]>, Vec<Subscriber>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("channels", &self.channels.len())
            .finish()
    }
}

impl Hub {
    /// Adds `connection` to `channel`'s subscribers.
    pub fn subscribe(&mut self, channel: &[u8], connection: u64, writer: &Rc<StreamWriter>) {
        self.channels
            .entry(channel.into())
            .or_default()
            .push(Subscriber {
                connection,
                writer: writer.clone(),
            });
    }

    /// Removes `connection` from `channel`'s subscribers.
    pub fn unsubscribe(&mut self, channel: &[u8], connection: u64) {
        if let Some(subscribers) = self.channels.get_mut(channel) {
            subscribers.retain(|s| s.connection != connection);
            if subscribers.is_empty() {
                self.channels.remove(channel);
            }
        }
    }

    /// How many connections of this hub subscribe to `channel`.
    pub fn subscribers(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    /// Sends `message` to every subscriber of `channel`; returns how many
    /// received it. Subscribers over their backlog are aborted and removed.
    pub fn publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        if !self.channels.contains_key(channel) {
            return 0;
        }
        self.deliver(channel, &frame(channel, message))
    }

    /// Sends an already formatted message `frame` (see [`frame`]) to every
    /// subscriber of `channel`, as [`publish`](Self::publish) does: the
    /// form in which a message published on another loop arrives.
    pub fn deliver(&mut self, channel: &[u8], frame: &[u8]) -> usize {
        let Some(subscribers) = self.channels.get_mut(channel) else {
            return 0;
        };
        let mut received = 0;
        subscribers.retain(|s| {
            let keeping_up = s.writer.write_buffer_size() + frame.len() <= SUBSCRIBER_BACKLOG;
            if keeping_up && s.writer.write(frame).is_ok() {
                received += 1;
                true
            } else {
                // Too slow, or gone: its connection loop sees the writer
                // closed and ends.
                s.writer.abort();
                false
            }
        });
        if subscribers.is_empty() {
            self.channels.remove(channel);
        }
        received
    }
}

/// `message` on `channel` as a subscriber receives it: the array
/// `["message", channel, message]`, formatted once for every subscriber.
pub fn frame(channel: &[u8], message: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(channel.len() + message.len() + 32);
    resp::array_header(&mut frame, 3);
    resp::bulk(&mut frame, b"message");
    resp::bulk(&mut frame, channel);
    resp::bulk(&mut frame, message);
    frame
}
