//! Socket writing shared by the client's connection task and the broker's connection tasks:
//! a queue of buffers written with vectored writes, many frames per syscall.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Buffers handed to one vectored write.
const MAX_IOVECS: usize = 64;

/// Writes as much of `queue` as the socket takes in one vectored write; returns how many bytes
/// were written (pass them to [`advance`]). Cancel-safe: if the future is dropped before it
/// completes, nothing was written.
pub async fn write_some<W: AsyncWrite + Unpin>(
    writer: &mut W,
    queue: &VecDeque<Bytes>,
) -> std::io::Result<usize> {
    let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
    let mut count = 0;
    for (slot, chunk) in slices.iter_mut().zip(queue) {
        *slot = IoSlice::new(chunk);
        count += 1;
    }
    let n = writer.write_vectored(&slices[..count]).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    Ok(n)
}

/// Drops the first `n` written bytes from `queue`.
pub fn advance(queue: &mut VecDeque<Bytes>, mut n: usize) {
    while n > 0 {
        let Some(front) = queue.front_mut() else {
            return;
        };
        if front.len() <= n {
            n -= front.len();
            queue.pop_front();
        } else {
            front.advance(n);
            n = 0;
        }
    }
}
