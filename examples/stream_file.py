"""The live-dictation pipeline over a WAV file: voice activity cuts it into utterances,
each recognised while it "plays" (at real time with --realtime, else as fast as possible).

    python examples/stream_file.py speech.wav --model model.tflite [--realtime]
"""
import argparse

import edgestt

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("wav")
parser.add_argument("--model", help="a .tflite model (default: the installed default model)")
parser.add_argument("--scorer", help="an edgestt language model")
parser.add_argument("--realtime", action="store_true", help="deliver the audio at the speed of a microphone")
args = parser.parse_args()

model = edgestt.Model(args.model, scorer=args.scorer)
source = edgestt.WavFileSource(args.wav, model.sample_rate, realtime=args.realtime)

for event in edgestt.listen(model, source, end_silence_ms=500):
    if isinstance(event, edgestt.Partial):
        print(f"  ... {event.text}")
    elif isinstance(event, edgestt.Final):
        print(f"[{event.start_time:6.2f} - {event.end_time:6.2f}] {event.text}")
        for word in event.words:
            print(f"        {word.start_time:6.2f} {word.text}")
