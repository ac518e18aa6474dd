#!/usr/bin/env python3
"""Transcribe a WAV file with a .tflite model, one-shot and streamed, with word times.

    python3 examples/transcribe_file.py MODEL.tflite SPEECH.wav [--scorer LM.eslm] [--hot-word friend:2]

Any WAV (16/24/32-bit PCM or float, any channel count, any rate: it is converted to the
model's rate). The streamed part feeds 100 ms chunks as a microphone would and prints the
partial transcript as it grows; its final transcript equals the one-shot one.
"""
import argparse

import edgestt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("wav")
    parser.add_argument("--scorer", help="an edgestt language model (binary or ARPA)")
    parser.add_argument("--hot-word", action="append", default=[], help="WORD:BOOST, repeatable")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()

    with edgestt.Model(args.model, scorer=args.scorer, num_threads=args.threads) as model:
        for item in args.hot_word:
            word, _, boost = item.rpartition(":")
            model.add_hot_word(word, float(boost))
        print(f"{model.family} model, {model.sample_rate} Hz, beam width {model.beam_width}")

        meta = model.stt_with_metadata(args.wav, num_results=3)
        for rank, candidate in enumerate(meta.transcripts, 1):
            print(f"#{rank} ({candidate.confidence:.2f}): {candidate.text}")
        for word in meta.transcripts[0].words if meta.transcripts else ():
            print(f"  {word.start_time:6.2f}-{word.end_time:6.2f}  {word.text}")

        # The same audio streamed in 100 ms chunks.
        samples = model.load_audio(args.wav)  # float32 at the model's rate
        chunk = model.sample_rate // 10
        with model.stream() as stream:
            for start in range(0, len(samples), chunk):
                stream.feed(samples[start:start + chunk])
                print(f"\r… {stream.partial()[-70:]}", end="", flush=True)
            print(f"\rstreamed: {stream.finish()}")


if __name__ == "__main__":
    main()
