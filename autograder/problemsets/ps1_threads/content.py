# %% [markdown]
# # 多线程 VS 多进程 · 1 / Threads vs processes · 1
# %% [setup]
import threading
# %% [skeleton] greet_all
def greet_all(names, greet):
    threads = []
    for name in names:
        t = threading.Thread(target=greet, args=(name))
        threads.append(t)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
# %% [solution] greet_all
def greet_all(names, greet):
    threads = [threading.Thread(target=greet, args=(name,)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
# %% [test] greet_all points=4
seen = []
greet_all(["王老大", "王大鹏"], seen.append)
assert sorted(seen) == sorted(["王老大", "王大鹏"]), f"greet 收到 / greet got {seen}"
