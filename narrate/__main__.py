if __name__ == "__main__":
    # Imported inside the guard: engine workers are spawned, and a spawned process
    # imports this module again (as __mp_main__) — it needs none of the CLI.
    from narrate.cli import main

    main()
