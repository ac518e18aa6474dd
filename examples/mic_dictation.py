"""Live dictation from the microphone: partial results on one line, each utterance on its own.

    python examples/mic_dictation.py --model model.tflite [--device USB] [--scorer lm.eslm]

Speak; pause for most of a second to end an utterance; Ctrl-C to stop.
Needs the `mic` extra: pip install 'edgestt[mic]' (Debian/Pi OS: apt-get install portaudio19-dev first).
"""
import argparse

import edgestt

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", help="a .tflite model (default: the installed default model)")
parser.add_argument("--scorer", help="an edgestt language model")
parser.add_argument("--device", help="input device: index or part of its name (see edgestt.list_devices())")
args = parser.parse_args()

for device in edgestt.list_devices():
    print(f"{'*' if device.is_default else ' '} {device.index}: {device.name}")

model = edgestt.Model(args.model, scorer=args.scorer)
mic = edgestt.Microphone(args.device, model.sample_rate, on_overrun="report")  # opened at a rate it supports
print(f"Listening on {mic.device.name} at {mic.capture_rate} Hz (Ctrl-C to stop)")

for event in edgestt.listen(model, mic, aggressiveness=2):
    if isinstance(event, edgestt.Partial):
        print("\r" + event.text + "\x1b[K", end="", flush=True)  # rewrite the line, erase the rest
    elif isinstance(event, edgestt.Final):
        print(f"\r{event.text}  [{event.start_time:.1f}-{event.end_time:.1f} s]\x1b[K")
    elif isinstance(event, edgestt.Overrun):
        print(f"\nwarning: {event.message}")
