//! The MCP preview of an image that is still arriving ([`preview_arriving`]): its pieces come from a
//! channel (the client's `openai::early_image`) and are read through [`Feed`] as they come.

use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::sync::mpsc;

use bytes::Bytes;

use super::{Decoded, PREVIEW_QUALITIES, Thumb, preview_keeping_pixels, streamed, within_budget};

/// A preview made while its image arrived: what [`super::preview_and_decoded`] gives for the same bytes.
pub struct Arrived {
    pub preview: Thumb,
    pub decoded: Option<Decoded>,
}

/// [`super::preview_and_decoded`] of the bytes that come through `pieces`, started on the first piece: a
/// PNG that needs no resizing is inflated and encoded as it arrives. Blocks until the sender has finished.
/// `None` when nothing came or the bytes do not make a preview (a stream cut short by the sender giving
/// up). The caller uses it only if the sender confirms the pieces were the whole image
/// (`openai::EarlyImage::confirmed`).
pub fn preview_arriving(pieces: mpsc::Receiver<Bytes>) -> Option<Arrived> {
    let mut feed = Feed::new(pieces);
    if feed.fill_buf().ok()?.is_empty() {
        return None;
    }
    let streamed = streamed::preview_read(&mut feed, PREVIEW_QUALITIES[0]);
    let pieces = feed.into_pieces();
    let made = match streamed {
        Ok(Some(encoded)) => within_budget(encoded).map(|(preview, pixels)| (preview, Some(pixels))),
        Ok(None) => preview_keeping_pixels(&pieces.concat()),
        Err(e) => Err(e),
    };
    match made {
        Ok((preview, pixels)) => Some(Arrived {
            preview,
            decoded: pixels.map(Decoded),
        }),
        Err(e) => {
            tracing::debug!("no preview while the image arrived ({e}); it is made from the received image");
            None
        }
    }
}

/// The pieces behind `BufRead`, kept.
pub(super) struct Feed {
    incoming: mpsc::Receiver<Bytes>,
    pieces: Vec<Bytes>,
    /// The piece being read, and how far into it.
    current: usize,
    offset: usize,
    /// Bytes consumed before `current`.
    before: u64,
}

impl Feed {
    pub fn new(incoming: mpsc::Receiver<Bytes>) -> Feed {
        Feed {
            incoming,
            pieces: Vec::new(),
            current: 0,
            offset: 0,
            before: 0,
        }
    }

    /// Every piece, once the sender has finished (blocks until then).
    pub fn into_pieces(mut self) -> Vec<Bytes> {
        self.pieces.extend(self.incoming.iter());
        self.pieces
    }
}

impl BufRead for Feed {
    /// Blocks until a piece arrives; empty at the end of the stream.
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pieces.get(self.current).is_none_or(|p| self.offset == p.len()) {
            if let Some(done) = self.pieces.get(self.current) {
                self.before += done.len() as u64;
                self.current += 1;
                self.offset = 0;
                continue;
            }
            match self.incoming.recv() {
                Ok(piece) => self.pieces.push(piece),
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.pieces[self.current][self.offset..])
    }

    fn consume(&mut self, amount: usize) {
        self.offset += amount;
    }
}

impl Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Only the current position can be asked (decoders want `Seek` but read forward).
impl Seek for Feed {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match pos {
            SeekFrom::Current(0) => Ok(self.before + self.offset as u64),
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "an arriving image is read forward only",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pieces_in_order_as_they_come_and_keeps_them() {
        let (tx, rx) = mpsc::channel();
        let sender = std::thread::spawn(move || {
            for piece in [&[1, 2, 3][..], &[], &[4], &[5, 6]] {
                std::thread::sleep(std::time::Duration::from_millis(5));
                tx.send(Bytes::copy_from_slice(piece)).unwrap();
            }
        });
        let mut feed = Feed::new(rx);
        let mut first = [0; 2];
        feed.read_exact(&mut first).unwrap();
        assert_eq!(first, [1, 2]);
        assert_eq!(feed.stream_position().unwrap(), 2);
        assert!(feed.seek(SeekFrom::Start(0)).is_err());
        let mut rest = Vec::new();
        feed.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, [3, 4, 5, 6]);
        assert_eq!(feed.stream_position().unwrap(), 6);
        sender.join().unwrap();
        assert_eq!(feed.into_pieces().concat(), [1, 2, 3, 4, 5, 6]);
    }
}
