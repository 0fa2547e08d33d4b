//! Batch processing with a work queue.
//!
//! A durable direct exchange `video-desc-ex` routes persistent jobs (delivery mode 2) with key
//! `video-desc` to the durable queue `video-desc-queue`. Several workers, each on its own
//! channel with prefetch 1 and manual acknowledgements, share the queue, so the broker hands
//! each worker one job at a time and a slow worker never hoards work.
//!
//! The example purges the queue, starts the workers, publishes the jobs (with publisher
//! confirms), waits until every job is processed, prints how many each worker did, and checks
//! that every job was done exactly once.
//!
//! ```text
//! cargo run -p warren-examples --bin batch_processing -- [URI] [--workers 3] [--jobs 30]
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, Connection, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};
use warren_examples::{run, short, Args, Result};

const EXCHANGE: &str = "video-desc-ex";
const QUEUE: &str = "video-desc-queue";
const ROUTING_KEY: &str = "video-desc";

/// One job: describe a video.
#[derive(Debug, Serialize, Deserialize)]
struct VideoJob {
    job_id: u32,
    video_path: String,
    title: String,
    duration_secs: u32,
}

/// What a worker reports for each job it finished.
struct Done {
    worker: usize,
    job_id: u32,
}

fn main() -> ExitCode {
    run("batch_processing", batch_processing)
}

async fn batch_processing(args: Args) -> Result<()> {
    let workers: usize = args.get("workers", 3)?;
    let jobs: u32 = args.get("jobs", 30)?;
    if workers == 0 {
        return Err("--workers must be at least 1".into());
    }

    let conn = Connection::connect(&args.uri).await?;
    let setup = conn.open_channel().await?;
    setup
        .exchange_declare(
            EXCHANGE,
            "direct",
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await?;
    setup
        .queue_declare(
            QUEUE,
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await?;
    setup
        .queue_bind(QUEUE, EXCHANGE, ROUTING_KEY, FieldTable::new())
        .await?;
    // The queue is durable and outlives each run: start from empty so reruns count right.
    let stale = setup.queue_purge(QUEUE).await?;
    if stale > 0 {
        println!("purged {stale} job(s) left over from an earlier run");
    }

    // Workers: one channel and one consumer each, one unacknowledged job at a time.
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let mut worker_channels = Vec::new();
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let ch = conn.open_channel().await?;
        ch.basic_qos(1, false).await?;
        let consumer = ch
            .basic_consume(
                QUEUE,
                &format!("video-worker-{worker}"),
                BasicConsumeOptions::default(),
                FieldTable::new(),
            )
            .await?;
        tasks.push(tokio::spawn(work(worker, consumer, done_tx.clone())));
        worker_channels.push(ch);
    }
    drop(done_tx);

    publish_jobs(&conn, jobs).await?;
    println!("published {jobs} job(s) to {EXCHANGE} / {ROUTING_KEY}");

    // Wait for every job to be reported done.
    let mut done_by: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut per_worker = vec![0usize; workers];
    let mut finished = 0;
    while finished < jobs {
        let done = tokio::time::timeout(Duration::from_secs(10), done_rx.recv())
            .await
            .map_err(|_| format!("only {finished} of {jobs} jobs finished in time"))?;
        let done = match done {
            Some(Ok(done)) => done,
            Some(Err(e)) => return Err(e),
            None => return Err("every worker stopped before the jobs were done".into()),
        };
        per_worker[done.worker] += 1;
        done_by.entry(done.job_id).or_default().push(done.worker);
        finished += 1;
    }

    // Stop the workers: cancelling ends each consumer's stream, so its task returns.
    for (worker, ch) in worker_channels.iter().enumerate() {
        ch.basic_cancel(&format!("video-worker-{worker}")).await?;
    }
    for task in tasks {
        task.await??;
    }
    // A job done twice would have been reported after the cancel too.
    while let Ok(done) = done_rx.try_recv() {
        let done = done?;
        done_by.entry(done.job_id).or_default().push(done.worker);
    }

    for (worker, n) in per_worker.iter().enumerate() {
        println!("worker {worker} processed {n} job(s)");
    }
    let left = setup
        .queue_declare(
            QUEUE,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await?
        .message_count;

    let missing: Vec<u32> = (0..jobs).filter(|id| !done_by.contains_key(id)).collect();
    let twice: Vec<u32> = done_by
        .iter()
        .filter(|(_, by)| by.len() > 1)
        .map(|(id, _)| *id)
        .collect();
    let unknown: Vec<u32> = done_by.keys().copied().filter(|id| *id >= jobs).collect();
    conn.close().await?;
    if !missing.is_empty() || !twice.is_empty() || !unknown.is_empty() || left != 0 {
        return Err(format!(
            "jobs not done: {missing:?}; done more than once: {twice:?}; unexpected: \
             {unknown:?}; left in the queue: {left}"
        )
        .into());
    }
    println!("OK: all {jobs} jobs processed exactly once by {workers} workers");
    Ok(())
}

/// Publishes the jobs as persistent JSON messages and waits for the broker's confirms.
async fn publish_jobs(conn: &Connection, jobs: u32) -> Result<()> {
    let ch: Channel = conn.open_channel().await?;
    ch.confirm_select().await?;
    for job_id in 0..jobs {
        let job = VideoJob {
            job_id,
            video_path: format!("/videos/upload-{job_id:04}.mp4"),
            title: format!("Holiday clip #{job_id}"),
            duration_secs: 30 + job_id * 7 % 300,
        };
        let properties = BasicProperties {
            delivery_mode: Some(2), // persistent: survives a broker restart with the queue
            content_type: Some(short("application/json")?),
            message_id: Some(short(&format!("video-job-{job_id}"))?),
            ..Default::default()
        };
        ch.basic_publish(
            EXCHANGE,
            ROUTING_KEY,
            BasicPublishOptions {
                mandatory: true, // an unbound key would come back as a return
                ..Default::default()
            },
            serde_json::to_vec(&job)?,
            properties,
        )
        .await?;
    }
    if !ch.wait_for_confirms().await? {
        return Err("the broker nacked a job".into());
    }
    if let Some(returned) = ch.try_recv_return() {
        return Err(format!("a job was not routed: {}", returned.reply_text).into());
    }
    ch.close().await?;
    Ok(())
}

/// One worker: takes jobs until its consumer is cancelled, "describing" each video.
async fn work(
    worker: usize,
    consumer: warren_core::Consumer,
    done: mpsc::UnboundedSender<Result<Done>>,
) -> Result<()> {
    let outcome = take_jobs(worker, consumer, &done).await;
    if let Err(e) = &outcome {
        // Tell the main task at once rather than letting it wait for the missing jobs.
        let _ = done.send(Err(format!("worker {worker}: {e}").into()));
    }
    outcome
}

async fn take_jobs(
    worker: usize,
    mut consumer: warren_core::Consumer,
    done: &mpsc::UnboundedSender<Result<Done>>,
) -> Result<()> {
    loop {
        let delivery = match consumer.next_delivery().await {
            Some(d) => d?,
            None => return Ok(()), // cancelled
        };
        if delivery.properties.delivery_mode != Some(2) {
            return Err("a job was not persistent".into());
        }
        let job: VideoJob = serde_json::from_slice(&delivery.body)?;
        // Pretend to work for a moment, a little longer for longer videos.
        tokio::time::sleep(Duration::from_millis(2 + u64::from(job.duration_secs % 5))).await;
        delivery.ack()?;
        let _ = done.send(Ok(Done {
            worker,
            job_id: job.job_id,
        }));
    }
}
