//! The app's generation queue against fake-openai: slots, cancel (queued and running), cancel all
//! pending, retry after a failure, streamed partial images.

mod common;

use std::sync::Arc;
use std::time::Duration;

use easel::job::{Call, JobState};
use easel::library::Library;
use easel::queue::{Queue, QueueEvent};
use fake_openai::Fault;
use tokio::sync::broadcast;

use common::generate_work as work;

/// Events until `job_id` reaches a final state; returns (states seen, partial indexes, images, error).
async fn follow(
    events: &mut broadcast::Receiver<QueueEvent>,
    job_id: &str,
) -> (Vec<JobState>, Vec<u32>, Vec<String>, Option<String>) {
    let (mut states, mut partials) = (vec![], vec![]);
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .expect("the job ends within 20 s")
            .expect("the queue is open");
        match event {
            QueueEvent::State {
                job_id: id,
                state,
                error,
                images,
            } if id == job_id => {
                states.push(state);
                if state.is_final() {
                    return (states, partials, images, error);
                }
            }
            QueueEvent::Partial {
                job_id: id,
                index,
                image,
            } if id == job_id => {
                assert!(image.width.max(image.height) <= easel::queue::PARTIAL_EDGE);
                assert!(!image.bytes.is_empty());
                partials.push(index);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn jobs_wait_for_a_slot_and_can_be_cancelled_one_or_all_while_pending() {
    let fake = common::fake().await;
    let dir = tempfile::tempdir().unwrap();
    let library = Arc::new(Library::open(dir.path()).unwrap());
    let client = Arc::new(common::client(&fake));
    let queue = Queue::new(1);
    let events = queue.subscribe();
    fake.push_fault(Fault::Delay { ms: 1500 });

    let first = queue
        .submit(&library, Arc::clone(&client), work("a slow lighthouse"))
        .unwrap();
    let second = queue
        .submit(&library, Arc::clone(&client), work("a second one"))
        .unwrap();
    let third = queue
        .submit(&library, Arc::clone(&client), work("a third one"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let states: std::collections::HashMap<_, _> = queue.pending().into_iter().collect();
    assert_eq!(states[&first.id], JobState::Running);
    assert_eq!(states[&second.id], JobState::Queued);
    assert_eq!(states[&third.id], JobState::Queued);

    assert!(queue.cancel(&second.id));
    assert_eq!(queue.cancel_pending(), 1, "only the third is still pending");
    let (_, _, images, _) = follow(&mut events.resubscribe(), &first.id).await;
    assert_eq!(images.len(), 1);
    assert!(library.get(&images[0]).is_ok());
    for id in [&second.id, &third.id] {
        let job = library.get_job(id).unwrap();
        assert_eq!(job.state, JobState::Cancelled, "{job:?}");
    }
    assert_eq!(library.get_job(&first.id).unwrap().state, JobState::Done);
    assert_eq!(fake.requests().len(), 1, "cancelled jobs never reached the provider");
    assert!(!queue.cancel(&first.id), "a finished job cannot be cancelled");
    drop(events);
}

#[tokio::test]
async fn a_running_job_is_cancelled_upstream_and_a_failed_one_can_be_retried() {
    let fake = common::fake().await;
    let dir = tempfile::tempdir().unwrap();
    let library = Arc::new(Library::open(dir.path()).unwrap());
    let client = Arc::new(common::client(&fake));
    let queue = Queue::new(2);
    let mut events = queue.subscribe();

    fake.push_fault(Fault::Delay { ms: 10_000 });
    let slow = queue
        .submit(&library, Arc::clone(&client), work("never finishes"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(queue.cancel(&slow.id));
    let (states, ..) = follow(&mut events, &slow.id).await;
    assert_eq!(states.last(), Some(&JobState::Cancelled));
    assert_eq!(library.get_job(&slow.id).unwrap().state, JobState::Cancelled);

    fake.push_fault(Fault::ModerationBlocked);
    let blocked = queue
        .submit(&library, Arc::clone(&client), work("blocked once"))
        .unwrap();
    let (_, _, _, error) = follow(&mut events, &blocked.id).await;
    let error = error.expect("a failed job says why");
    assert!(error.contains("safety system"), "{error}");
    let again = queue.retry(&library, &blocked.id, |_| Ok(Arc::clone(&client))).unwrap();
    assert_ne!(again.id, blocked.id);
    let (states, _, images, _) = follow(&mut events, &again.id).await;
    assert_eq!(states.last(), Some(&JobState::Done));
    assert_eq!(library.get(&images[0]).unwrap().prompt, "blocked once");

    let unknown = queue
        .retry(&library, &again.id, |_| Ok(Arc::clone(&client)))
        .unwrap_err();
    assert!(matches!(unknown, easel::Error::UnknownId { .. }), "{unknown}");
    let mut bad = work("bad size");
    if let Call::Generate(r) = &mut bad.call {
        r.params.size = easel::models::Size::Exact { width: 10, height: 10 };
    }
    assert!(
        queue.submit(&library, client, bad).is_err(),
        "bad input fails before anything is queued"
    );
    assert!(queue.pending().iter().all(|(id, _)| id != &again.id));
}

#[tokio::test]
async fn streamed_partials_reach_listeners_as_small_images_before_the_final_one() {
    let fake = common::fake().await;
    let dir = tempfile::tempdir().unwrap();
    let library = Arc::new(Library::open(dir.path()).unwrap());
    let queue = Queue::new(2);
    let mut events = queue.subscribe();
    let mut streaming = work("a streamed harbour");
    if let Call::Generate(r) = &mut streaming.call {
        r.params.stream = true;
        r.params.partial_images = Some(3);
    }
    let job = queue
        .submit(&library, Arc::new(common::client(&fake)), streaming)
        .unwrap();
    let (states, partials, images, error) = follow(&mut events, &job.id).await;
    assert_eq!(error, None);
    assert_eq!(states.first(), Some(&JobState::Queued));
    assert!(states.contains(&JobState::Partial));
    assert_eq!(states.last(), Some(&JobState::Done));
    assert_eq!(images.len(), 1);
    // Partials are shrunk off the runtime one after the other: all three arrive in the order they were
    // streamed, possibly after the final state.
    let mut partials = partials;
    while partials.len() < 3 {
        if let Ok(Ok(QueueEvent::Partial { index, .. })) =
            tokio::time::timeout(Duration::from_secs(5), events.recv()).await
        {
            partials.push(index);
        } else {
            break;
        }
    }
    assert_eq!(partials, vec![0, 1, 2]);
}
